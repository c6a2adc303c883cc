import LuaKit

/// One warm sandboxed Lua state, made on first use, with the hook chunks compiled in it by path
/// and version: a hook is compiled once per version, and each call runs in the same state with
/// the context pointing at its host. Not thread-safe: one runner's.
final class WarmHookState {
    private let sandbox: HookSandbox
    private let context = HookContext()
    private var state: LuaState?
    /// Compiled hook chunks by path, with the version (content hash) they were compiled from.
    private var chunks: [String: (version: String, chunk: LuaChunk)] = [:]

    init(sandbox: HookSandbox) { self.sandbox = sandbox }

    /// Runs `body` with the state and the chunk of `path` at `version`, the `taphouse.*` modules
    /// acting on `host` until it returns.
    func with<T>(
        path: String, source: [UInt8], version: String, host: HookHost,
        _ body: (LuaState, LuaChunk) throws(LuaError) -> T
    ) throws(LuaError) -> T {
        let state: LuaState
        if let warm = self.state {
            state = warm
        } else {
            state = try sandbox.makeState(context: context)
            self.state = state
        }
        let chunk: LuaChunk
        if let cached = chunks[path], cached.version == version {
            chunk = cached.chunk
        } else {
            chunk = try state.load(source: String(decoding: source, as: UTF8.self), name: path)
            chunks[path] = (version, chunk)
        }
        context.host = host
        defer { context.host = nil }
        return try body(state, chunk)
    }
}

/// What the `taphouse.*` modules act on during one hook call. The modules are registered once
/// per Lua state; the runner points the context at the call's host before each call and clears
/// it after, so a module function called outside a hook call fails instead of acting.
public final class HookContext {
    public var host: HookHost?

    public init() {}

    func requireHost(_ function: String) throws -> HookHost {
        guard let host else { throw HookContextError(message: "\(function) can only be used while a hook runs") }
        return host
    }
}

struct HookContextError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

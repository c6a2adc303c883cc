import LuaKit

/// `taphouse hooks eval`: a file run in exactly the sandbox hooks get, its results and what it
/// printed or warned (within the call's output budget).
public enum HookEvaluation {
    /// What a run gave: the returned values (functions and coroutines described), or the error;
    /// and the output, in order.
    public struct Result: Sendable, Codable {
        public var values: [LuaValue]
        public var error: LuaError?
        public var output: [LuaOutput]
    }

    /// Runs `file` in a fresh state of `sandbox` (whose `output` is replaced to collect).
    public static func run(_ file: String, sandbox: HookSandbox) -> Result {
        final class Collector: @unchecked Sendable { var output: [LuaOutput] = [] }
        let collector = Collector()
        var sandbox = sandbox
        sandbox.output = { collector.output.append($0) }
        do {
            let state = try sandbox.makeState()
            let values = try state.call(state.load(file: file), opaque: .describe)
            return Result(values: values, error: nil, output: collector.output)
        } catch {
            return Result(values: [], error: error, output: collector.output)
        }
    }
}

import Logging

/// How a ``LuaState`` is set up.
public struct LuaConfiguration {
    /// The budgets.
    public var limits: LuaLimits
    /// Folders `require` searches, in order, after the registered Swift modules.
    public var moduleRoots: [LuaModuleRoot]
    /// Swift modules chunks can `require`.
    public var modules: [LuaModule]
    /// Where `print` and `warn` output goes; `nil` sends it to ``logger`` at `info` / `warning`.
    public var output: ((LuaOutput) -> Void)?
    /// The logger for output and for the state's own notices.
    public var logger: Logger

    /// Creates a configuration.
    public init(
        limits: LuaLimits = LuaLimits(), moduleRoots: [LuaModuleRoot] = [], modules: [LuaModule] = [],
        output: ((LuaOutput) -> Void)? = nil, logger: Logger = Logger(label: "taphouse.lua")
    ) {
        self.limits = limits
        self.moduleRoots = moduleRoots
        self.modules = modules
        self.output = output
        self.logger = logger
    }
}

/// A line a chunk printed or warned.
public enum LuaOutput: Sendable, Equatable, Codable {
    /// From `print`: the arguments through `tostring`, tab-separated.
    case print(String)
    /// From `warn`, or from Lua itself (an error in a `__gc` finaliser).
    case warning(String)
}

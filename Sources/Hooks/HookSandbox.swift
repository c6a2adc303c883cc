import Logging
import LuaKit

/// The environment every hook runs in: the LuaKit sandbox, the hook budgets, the `taphouse.*`
/// modules and the folders `require` may load from. `taphouse hooks eval` uses the same, so an
/// admin tries a snippet exactly as a hook would run it.
public struct HookSandbox {
    /// Default budgets for one hook call: 2 s of Lua, generous for NIC set-up and small enough
    /// that a hung hook cannot hold a start for long; commands wait on their own timeouts, and
    /// the whole call, commands included, at most 120 s.
    public static let defaultLimits = LuaLimits(timeout: .seconds(2), memoryBytes: 64 << 20, ceiling: .seconds(120))

    /// The budgets.
    public var limits: LuaLimits
    /// Folders `require` searches.
    public var moduleRoots: [LuaModuleRoot]
    /// The node's logger; hooks log through it.
    public var logger: Logger
    /// Where `print` and `warn` output goes; `nil` for the logger.
    public var output: ((LuaOutput) -> Void)?

    /// Creates a sandbox description.
    public init(
        limits: LuaLimits = HookSandbox.defaultLimits, moduleRoots: [LuaModuleRoot] = [], logger: Logger,
        output: ((LuaOutput) -> Void)? = nil
    ) {
        self.limits = limits
        self.moduleRoots = moduleRoots
        self.logger = logger
        self.output = output
    }

    /// The modules every hook can `require`, acting through `context` (whose host is set only
    /// while a hook call runs: outside one, the host functions refuse).
    public func modules(context: HookContext, metadata: Logger.Metadata = [:]) -> [LuaModule] {
        [
            LogModule.module(logger: logger, context: metadata), NetModule.module(context),
            SysctlModule.module(context), FileModule.module(context),
            OVSModule.module(context), ExecModule.module(context), VLANModule.module(), GanetiModule.module(context),
        ]
    }

    /// A new state with the sandbox, the budgets and the modules installed.
    public func makeState(
        context: HookContext = HookContext(), metadata: Logger.Metadata = [:]
    ) throws(LuaError) -> LuaState {
        try LuaState(
            configuration: LuaConfiguration(
                limits: limits, moduleRoots: moduleRoots, modules: modules(context: context, metadata: metadata),
                output: output, logger: logger))
    }
}

import LuaKit

/// What hooks run with in a worker: where the hooks and the state are, and their budgets. A
/// worker keeps warm Lua states per setup, so calls with the same setup reuse them.
public struct HookWorkerSetup: Sendable, Hashable, Codable {
    public var directories: HookDirectories
    /// The node's state directory (NIC journals, kept hook texts).
    public var stateDirectory: String
    /// The budgets of each hook call.
    public var limits: LuaLimits
    /// The Open vSwitch database `ovs-vsctl` talks to (`--db=`), nil for its default.
    public var ovsDatabase: String?

    public init(
        directories: HookDirectories, stateDirectory: String, limits: LuaLimits = HookSandbox.defaultLimits,
        ovsDatabase: String? = nil
    ) {
        self.directories = directories
        self.stateDirectory = stateDirectory
        self.limits = limits
        self.ovsDatabase = ovsDatabase
    }
}

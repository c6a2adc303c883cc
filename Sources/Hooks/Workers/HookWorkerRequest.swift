import LuaKit
import QEMU

/// A call the node sends a hook worker.
public enum HookWorkerRequest: Sendable, Codable {
    /// A NIC's `up` or `down` on the worker's node (its network namespace).
    case nic(HookWorkerSetup, NICHookCall)
    /// Several NIC calls, run in order, each answered as it ends (as `nic` is), the first that
    /// fails the last: the node sends an instance's NICs at once and the worker never waits
    /// for the node between them.
    case nics(HookWorkerSetup, [NICHookCall])
    /// The console policy for an instance.
    case console(HookWorkerSetup, ConsoleHookCall)
    /// A lifecycle hook call (`instance.lua`) on the worker's node.
    case lifecycle(HookWorkerSetup, LifecycleHookCall)
    /// `hooks check` of one file: a network hook, or a console hook.
    case check(HookWorkerSetup, file: String, console: Bool)
    /// The cases a spec file registers.
    case specCases(HookWorkerSetup, file: String)
    /// One spec case, on a fake node.
    case specRun(HookWorkerSetup, HookSpecCase)
    /// Nothing but the exchange: what a round trip to a worker costs, and whether it answers.
    case ping
    /// `hooks eval` of a file, with the folders `require` searches.
    case eval(HookWorkerSetup, file: String, moduleRoots: [String])
}

/// A NIC hook call: which NIC of which instance, on which tap, what to do.
public struct NICHookCall: Sendable, Codable {
    public var action: NetworkHookRunner.Action
    public var instance: String
    public var tags: [String]
    public var nic: NICSpec
    public var index: Int
    public var interface: String
    public var phase: NetworkHookRunner.Phase?
    public var dryRun: Bool

    public init(
        action: NetworkHookRunner.Action, instance: String, tags: [String], nic: NICSpec, index: Int,
        interface: String, phase: NetworkHookRunner.Phase? = nil, dryRun: Bool = false
    ) {
        self.action = action
        self.instance = instance
        self.tags = tags
        self.nic = nic
        self.index = index
        self.interface = interface
        self.phase = phase
        self.dryRun = dryRun
    }
}

/// The console policy's inputs: the instance's read-only table and the native description.
public struct ConsoleHookCall: Sendable, Codable {
    public var instance: String
    public var table: LuaValue
    public var native: JSONValue

    public init(_ view: ConsoleInstanceView, native: ConsoleDescription) {
        instance = view.name
        table = view.table
        self.native = native.json
    }
}

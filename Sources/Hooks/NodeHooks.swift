import HostNet
import Logging
import QEMU

/// Where a node's hooks run: in worker processes (``WorkerHooks``, the node's way: a hook that
/// hangs or crashes costs a worker) or in this process (``LocalHooks``, for tests of the layers
/// above and for measuring the hook engine alone).
public protocol NodeHooks: AnyObject {
    /// A NIC's `up` or `down` on the calling thread's network namespace; the host changes.
    @discardableResult
    func nic(_ call: NICHookCall) throws(HookError) -> [HookCallLine]
    /// The console policy's description for an instance.
    func console(
        _ instance: ConsoleInstanceView, default native: ConsoleDescription
    ) throws(HookError)
        -> ConsoleDescription
}

extension WorkerHooks: NodeHooks {}

/// Hooks run in this process, on the real host of the calling thread's network namespace.
public final class LocalHooks: NodeHooks {
    public let setup: HookWorkerSetup
    private let runner: NetworkHookRunner
    private let policy: ConsolePolicy

    public init(setup: HookWorkerSetup, logger: Logger) {
        self.setup = setup
        runner = NetworkHookRunner(
            directories: setup.directories, stateDirectory: setup.stateDirectory, limits: setup.limits, logger: logger)
        policy = ConsolePolicy(directories: setup.directories, limits: setup.limits, logger: logger)
    }

    public func nic(_ call: NICHookCall) throws(HookError) -> [HookCallLine] {
        let network: LinuxHost
        do {
            network = try LinuxHost()
        } catch {
            throw HookError(.host, "\(error)", instance: call.instance, nicIndex: call.index)
        }
        let control = OVSCtl(database: setup.ovsDatabase, waitForSwitch: setup.ovsDatabase == nil)
        let ovs: OpenVSwitch? = control.isInstalled ? control : nil
        switch call.action {
        case .up:
            return try runner.up(
                instance: call.instance, tags: call.tags, nic: call.nic, index: call.index, interface: call.interface,
                phase: call.phase, network: network, ovs: ovs, dryRun: call.dryRun)
        case .down:
            return try runner.down(
                instance: call.instance, tags: call.tags, nic: call.nic, index: call.index, interface: call.interface,
                phase: call.phase, network: network, ovs: ovs, dryRun: call.dryRun)
        }
    }

    public func console(
        _ instance: ConsoleInstanceView, default native: ConsoleDescription
    ) throws(HookError) -> ConsoleDescription {
        try policy.apply(instance: instance, default: native)
    }
}

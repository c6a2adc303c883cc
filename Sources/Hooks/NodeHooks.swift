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
    /// NIC calls in order, up to the first that fails: each call's outcome, also given to `each`
    /// (with the call's place) as it ends; the calls after a failure are not run. Several NICs
    /// cost the node one exchange with a worker, not one each.
    func nics(
        _ calls: [NICHookCall], each: (Int, Result<[HookCallLine], HookError>) -> Void
    ) -> [Result<[HookCallLine], HookError>]
    /// The console policy's description for an instance.
    func console(
        _ instance: ConsoleInstanceView, default native: ConsoleDescription
    ) throws(HookError)
        -> ConsoleDescription
    /// A lifecycle hook call (`instance.lua`) on the calling thread's network namespace.
    @discardableResult
    func lifecycle(_ call: LifecycleHookCall) throws(HookError) -> [HookCallLine]
    /// The setup the hooks run with (folders, state, budgets).
    var setup: HookWorkerSetup { get }
    /// `hooks check` of one file: it loads and returns what a network hook (or, with `console`,
    /// a console policy) must; the problem, or nil.
    func check(_ file: String, console: Bool) -> String?
}

extension NodeHooks {
    /// One call after the other, up to the first that fails.
    public func nics(
        _ calls: [NICHookCall], each: (Int, Result<[HookCallLine], HookError>) -> Void
    ) -> [Result<[HookCallLine], HookError>] {
        var outcomes: [Result<[HookCallLine], HookError>] = []
        for call in calls {
            let outcome = Result { () throws(HookError) in try nic(call) }
            each(outcomes.count, outcome)
            outcomes.append(outcome)
            if case .failure = outcome { break }
        }
        return outcomes
    }

    /// Undoes the journal of NIC `index` without its hook: for a NIC whose settings (mode, MAC,
    /// link) went with a runtime that no longer reads, so its hook's own `down` cannot be called.
    /// Nothing to undo (no journal) is no error.
    @discardableResult
    public func undoJournal(instance: String, index: Int) throws(HookError) -> [HookCallLine] {
        try undo(
            Journal.path(stateDirectory: setup.stateDirectory, instance: instance, nicIndex: index), instance: instance,
            nic: index, what: "its journal")
    }

    /// Undoes everything the instance's lifecycle hook calls changed and removes their journal:
    /// after `post_stop`, or when a start fails. Nothing to undo (no journal) is no error.
    @discardableResult
    public func finishLifecycle(instance: String) throws(HookError) -> [HookCallLine] {
        try undo(
            LifecycleHookRunner.journalPath(stateDirectory: setup.stateDirectory, instance: instance),
            instance: instance, nic: nil, what: "its lifecycle journal")
    }

    /// The journal at `path` undone with no hook running and removed; one error naming the
    /// instance, the NIC and the hook file with what could not be put back.
    private func undo(_ path: String, instance: String, nic: Int?, what: String) throws(HookError) -> [HookCallLine] {
        let loaded: Journal?
        do {
            loaded = try Journal.load(path: path)
        } catch {
            var error = error
            (error.instance, error.nicIndex) = (instance, nic)
            throw error
        }
        guard let journal = loaded else { return [] }
        let outcome = setup.undo(journal)
        guard outcome.failures.isEmpty else {
            var hookFile: String?
            if case .begin(let hook, _, _, _, _, _)? = journal.entries.first { hookFile = hook }
            var error = HookError(
                .host, "\(what) could not be undone in full", instance: instance, nicIndex: nic, hookFile: hookFile)
            error.undoFailures = outcome.failures
            throw error
        }
        return outcome.lines
    }
}

extension WorkerHooks: NodeHooks {}

/// Hooks run in this process, on the real host of the calling thread's network namespace.
public final class LocalHooks: NodeHooks {
    public let setup: HookWorkerSetup
    private let runner: NetworkHookRunner
    private let policy: ConsolePolicy
    private let lifecycleRunner: LifecycleHookRunner

    private let logger: Logger

    public init(setup: HookWorkerSetup, logger: Logger) {
        self.setup = setup
        self.logger = logger
        runner = NetworkHookRunner(
            directories: setup.directories, stateDirectory: setup.stateDirectory, limits: setup.limits, logger: logger)
        policy = ConsolePolicy(directories: setup.directories, limits: setup.limits, logger: logger)
        lifecycleRunner = LifecycleHookRunner(
            directories: setup.directories, stateDirectory: setup.stateDirectory, limits: setup.limits, logger: logger)
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

    public func lifecycle(_ call: LifecycleHookCall) throws(HookError) -> [HookCallLine] {
        let network: LinuxHost
        do {
            network = try LinuxHost()
        } catch {
            throw HookError(.host, "\(error)", instance: call.instance)
        }
        let control = OVSCtl(database: setup.ovsDatabase, waitForSwitch: setup.ovsDatabase == nil)
        return try lifecycleRunner.run(call, network: network, ovs: control.isInstalled ? control : nil)
    }

    public func check(_ file: String, console: Bool) -> String? {
        HookChecks.file(file, console: console, setup: setup, logger: logger)
    }
}

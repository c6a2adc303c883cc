import Foundation
import HostNet
import Logging
import LuaKit
import QEMU

/// A worker's side of a call: runs the request in this process with the warm state it keeps
/// per setup (a network hook runner, a console policy, a spec runner) and answers. The host
/// is this process's network namespace, the one the worker was started in.
public final class HookWorkerEngine {
    let logger: Logger
    private var runners: [HookWorkerSetup: NetworkHookRunner] = [:]
    private var consoles: [HookWorkerSetup: ConsolePolicy] = [:]
    private var lifecycles: [HookWorkerSetup: LifecycleHookRunner] = [:]
    private var specRunners: [HookWorkerSetup: HookSpecRunner] = [:]
    private var network: LinuxHost?

    /// Told before the worker waits on a command how long it may wait, and after it how much
    /// Lua budget may follow: the node waits for the answer that much longer.
    public var progress: (Duration) -> Void = { _ in }

    public init(logger: Logger) { self.logger = logger }

    /// Runs `request` and gives `answer` its answers: one, or for ``HookWorkerRequest/nics(_:_:)``
    /// one per NIC call as it ends, up to the first that failed.
    public func handle<E: Error>(
        _ request: HookWorkerRequest, answer: (HookWorkerResponse) throws(E) -> Void
    ) throws(E) {
        guard case .nics(let setup, let calls) = request else { return try answer(handle(request)) }
        for call in calls {
            let response = handle(.nic(setup, call))
            try answer(response)
            if case .failed = response { return }
        }
    }

    public func handle(_ request: HookWorkerRequest) -> HookWorkerResponse {
        switch request {
        case .ping:
            return .pong
        case .nic(let setup, let call):
            do {
                return .calls(try nic(setup, call))
            } catch {
                return .failed(error)
            }
        case .nics:
            return .refused("several NIC calls are answered one by one: handle(_:answer:) takes them")
        case .console(let setup, let call):
            do {
                let policy =
                    consoles[setup]
                    ?? ConsolePolicy(
                        directories: setup.directories, limits: setup.limits, logger: logger)
                consoles[setup] = policy
                return .console(try policy.apply(call).json)
            } catch {
                return .failed(error)
            }
        case .lifecycle(let setup, let call):
            do {
                return .calls(try lifecycle(setup, call))
            } catch {
                return .failed(error)
            }
        case .check(let setup, let file, let console):
            return .checked(HookChecks.file(file, console: console, setup: setup, logger: logger))
        case .specCases(let setup, let file):
            switch specRunner(setup).load(file) {
            case .success(let cases): return .specCases(cases)
            case .failure(let error): return .specLoadFailed(error)
            }
        case .specRun(let setup, let specCase):
            return .specOutcome(specRunner(setup).run(specCase))
        case .eval(let setup, let file, let roots):
            let sandbox = HookSandbox(
                limits: setup.limits, moduleRoots: roots.map { LuaModuleRoot(path: $0) }, logger: logger)
            return .evaluated(HookEvaluation.run(file, sandbox: sandbox))
        }
    }

    private func nic(_ setup: HookWorkerSetup, _ call: NICHookCall) throws(HookError) -> [HookCallLine] {
        let runner: NetworkHookRunner
        if let known = runners[setup] {
            runner = known
        } else {
            runner = NetworkHookRunner(
                directories: setup.directories, stateDirectory: setup.stateDirectory, limits: setup.limits,
                logger: logger)
            runner.executor = executor(setup)
            runners[setup] = runner
        }
        let (host, ovs) = try hostAndSwitch(setup, instance: call.instance, nic: call.index)
        switch call.action {
        case .up:
            return try runner.up(
                instance: call.instance, tags: call.tags, nic: call.nic, index: call.index, interface: call.interface,
                phase: call.phase, network: host, ovs: ovs, dryRun: call.dryRun)
        case .down:
            return try runner.down(
                instance: call.instance, tags: call.tags, nic: call.nic, index: call.index, interface: call.interface,
                phase: call.phase, network: host, ovs: ovs, dryRun: call.dryRun)
        }
    }

    private func lifecycle(_ setup: HookWorkerSetup, _ call: LifecycleHookCall) throws(HookError) -> [HookCallLine] {
        let runner: LifecycleHookRunner
        if let known = lifecycles[setup] {
            runner = known
        } else {
            runner = LifecycleHookRunner(
                directories: setup.directories, stateDirectory: setup.stateDirectory, limits: setup.limits,
                logger: logger)
            runner.executor = executor(setup)
            lifecycles[setup] = runner
        }
        let (host, ovs) = try hostAndSwitch(setup, instance: call.instance, nic: nil)
        return try runner.run(call, network: host, ovs: ovs)
    }

    /// How a hook's `exec` runs here: the node is told how long the command may take, so that
    /// it waits for the answer that much longer, and then how much Lua budget follows.
    private func executor(_ setup: HookWorkerSetup) -> HookHost.Executor {
        { [weak self] request in
            self?.progress(request.timeout)
            defer { self?.progress(setup.limits.timeout) }
            return try ExecRequest.spawn(request)
        }
    }

    /// This worker's host (made once) and the node's switch, where it has Open vSwitch.
    private func hostAndSwitch(
        _ setup: HookWorkerSetup, instance: String, nic: Int?
    ) throws(HookError) -> (LinuxHost, OpenVSwitch?) {
        let host: LinuxHost
        do {
            host = try network ?? LinuxHost()
        } catch {
            throw HookError(.host, "\(error)", instance: instance, nicIndex: nic)
        }
        network = host
        let control = OVSCtl(database: setup.ovsDatabase, waitForSwitch: setup.ovsDatabase == nil)
        return (host, control.isInstalled ? control : nil)
    }

    private func specRunner(_ setup: HookWorkerSetup) -> HookSpecRunner {
        if let runner = specRunners[setup] { return runner }
        let runner = HookSpecRunner(directories: setup.directories, limits: setup.limits)
        specRunners[setup] = runner
        return runner
    }
}

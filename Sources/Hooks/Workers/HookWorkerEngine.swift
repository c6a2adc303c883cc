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
    private var specRunners: [HookWorkerSetup: HookSpecRunner] = [:]
    private var network: LinuxHost?

    /// Told before the worker waits on a command how long it may wait, and after it how much
    /// Lua budget may follow: the node waits for the answer that much longer.
    public var progress: (Duration) -> Void = { _ in }

    public init(logger: Logger) { self.logger = logger }

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
            runner.executor = { [weak self] request in
                self?.progress(request.timeout)
                defer { self?.progress(setup.limits.timeout) }
                return try ExecRequest.spawn(request)
            }
            runners[setup] = runner
        }
        let host: LinuxHost
        do {
            host = try network ?? LinuxHost()
        } catch {
            throw HookError(.host, "\(error)", instance: call.instance, nicIndex: call.index)
        }
        network = host
        let control = OVSCtl(database: setup.ovsDatabase, waitForSwitch: setup.ovsDatabase == nil)
        let ovs: OpenVSwitch? = control.isInstalled ? control : nil
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

    private func specRunner(_ setup: HookWorkerSetup) -> HookSpecRunner {
        if let runner = specRunners[setup] { return runner }
        let runner = HookSpecRunner(directories: setup.directories, limits: setup.limits)
        specRunners[setup] = runner
        return runner
    }
}

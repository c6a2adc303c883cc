import Foundation
import HostNet
import LuaKit
import QEMU

/// Hook calls of one setup (hooks, state, budgets) through a ``HookWorkerPool``: the node's way
/// to run hooks. Each call's ceiling is its Lua time budget plus the pool's grace (a spec case,
/// which makes several hook calls, gets sixteen budgets).
///
/// A NIC call whose worker was killed or died is rolled back here, in the node: the worker
/// journals each change before making it, so the NIC's journal holds what it did; it is undone
/// (on the same links only, as any undo) and removed, and the call fails with one error naming
/// the instance, the NIC and the hook file.
public final class WorkerHooks: @unchecked Sendable {
    public let pool: HookWorkerPool
    public let setup: HookWorkerSetup

    public init(pool: HookWorkerPool, setup: HookWorkerSetup) {
        self.pool = pool
        self.setup = setup
    }

    /// How long the node waits for one hook call's answer: its Lua time budget and the pool's
    /// grace; a worker waiting on a command gets that command's timeout more, up to ``maximum``.
    public var ceiling: Duration { setup.limits.timeout + pool.configuration.grace }
    /// The most a call may take: the call's ceiling (``LuaLimits/ceiling``) and the grace.
    public var maximum: Duration { (setup.limits.ceiling ?? setup.limits.timeout) + pool.configuration.grace }

    /// A NIC's `up` or `down` on the calling thread's network namespace.
    public func nic(_ call: NICHookCall) throws(HookError) -> [HookCallLine] {
        let response: HookWorkerResponse
        do {
            response = try pool.call(.nic(setup, call), ceiling: ceiling, maximum: maximum)
        } catch {
            throw rollBack(call, error)
        }
        switch response {
        case .calls(let calls): return calls
        case .failed(let error): throw error
        default: throw unexpected(response, instance: call.instance, nic: call.index)
        }
    }

    /// NIC calls in order, all sent to one worker at once: the calls up to the first that
    /// failed, each with its outcome, given to `each` too as it ends (the calls after a failure
    /// are not run). A worker killed or lost at a call costs that call, rolled back as for
    /// ``nic(_:)``; the calls before it stand.
    public func nics(
        _ calls: [NICHookCall], each: (Int, Result<[HookCallLine], HookError>) -> Void = { _, _ in }
    ) -> [Result<[HookCallLine], HookError>] {
        var outcomes: [Result<[HookCallLine], HookError>] = []
        func ended(_ outcome: Result<[HookCallLine], HookError>) {
            each(outcomes.count, outcome)
            outcomes.append(outcome)
        }
        guard !calls.isEmpty else { return [] }
        do {
            try pool.stream(.nics(setup, calls), ceiling: ceiling, maximum: maximum) { response in
                let call = calls[outcomes.count]
                switch response {
                case .calls(let lines): ended(.success(lines))
                case .failed(let error): ended(.failure(error))
                default: ended(.failure(unexpected(response, instance: call.instance, nic: call.index)))
                }
                guard case .success = outcomes.last, outcomes.count < calls.count else { return false }
                return true
            }
        } catch {
            ended(.failure(rollBack(calls[outcomes.count], error)))
        }
        return outcomes
    }

    /// What a worker that did not answer left of a NIC call: its journal undone and removed.
    private func rollBack(_ call: NICHookCall, _ failure: HookWorkerFailure) -> HookError {
        let path = Journal.path(stateDirectory: setup.stateDirectory, instance: call.instance, nicIndex: call.index)
        let journal = call.dryRun ? nil : try? Journal.load(path: path)
        var hookFile = setup.directories.hookFile("network/\(call.nic.mode).lua")?.path
        if case .begin(let hook, _, _, _, _, _)? = journal?.entries.first { hookFile = hook }
        var error = HookError(
            .worker, "\(call.action.rawValue): \(failure)", instance: call.instance, nicIndex: call.index,
            hookFile: hookFile)
        if let journal { error.undoFailures = setup.undo(journal).failures }
        return error
    }

    /// A lifecycle hook call on the calling thread's network namespace. A worker lost mid-call
    /// costs the call its own changes, as a failing call does: undone from the journal here.
    public func lifecycle(_ call: LifecycleHookCall) throws(HookError) -> [HookCallLine] {
        let path = LifecycleHookRunner.journalPath(stateDirectory: setup.stateDirectory, instance: call.instance)
        let kept = (try? Journal.load(path: path))??.entries.count ?? 0
        let response: HookWorkerResponse
        do {
            response = try pool.call(.lifecycle(setup, call), ceiling: ceiling, maximum: maximum)
        } catch {
            var hookError = HookError(
                .worker, "\(call.event.rawValue): \(error)", instance: call.instance,
                hookFile: setup.directories.hookFile(LifecycleHookRunner.fileName)?.path)
            if let journal = (try? Journal.load(path: path)) ?? nil {
                hookError.undoFailures = setup.undo(journal, keeping: kept).failures
            }
            throw hookError
        }
        switch response {
        case .calls(let calls): return calls
        case .failed(let error): throw error
        default: throw unexpected(response, instance: call.instance, nic: nil)
        }
    }

    /// The console policy's description for an instance.
    public func console(
        _ instance: ConsoleInstanceView, default native: ConsoleDescription
    ) throws(HookError) -> ConsoleDescription {
        let response: HookWorkerResponse
        do {
            response = try pool.call(.console(setup, ConsoleHookCall(instance, native: native)), ceiling: ceiling)
        } catch {
            throw HookError(
                .worker, "console: \(error)", instance: instance.name,
                hookFile: setup.directories.hookFile(ConsolePolicy.fileName)?.path)
        }
        switch response {
        case .console(let json):
            do {
                return try ConsoleDescription.parse(json)
            } catch {
                throw HookError(
                    .worker, "console: its worker's answer does not read: \(error)", instance: instance.name)
            }
        case .failed(let error): throw error
        default: throw unexpected(response, instance: instance.name, nic: nil)
        }
    }

    /// `hooks check` of a file: nil for a good one, else one line naming it.
    public func check(_ file: String, console: Bool) -> String? {
        do {
            switch try pool.call(.check(setup, file: file, console: console), ceiling: ceiling) {
            case .checked(let problem): return problem
            case let other: return "\(file): \(unexpected(other, instance: nil, nic: nil).message)"
            }
        } catch {
            return "\(file): loading it: \(error)"
        }
    }

    /// Every case of every spec file, each run on a fake node in a worker; a case whose worker
    /// was killed or died fails, and the next one runs in a new worker.
    public func specResults(files: [String]) -> [HookSpecResult] {
        var results: [HookSpecResult] = []
        for file in files {
            let cases: [HookSpecCase]
            do {
                switch try pool.call(.specCases(setup, file: file), ceiling: ceiling) {
                case .specCases(let loaded): cases = loaded
                case .specLoadFailed(let error):
                    results.append(
                        HookSpecResult(
                            name: "loading the spec file", location: error.line.map { "\(file):\($0)" } ?? file,
                            outcome: .failed([error.description])))
                    continue
                case let other:
                    results.append(loadFailure(file, unexpected(other, instance: nil, nic: nil).message))
                    continue
                }
            } catch {
                results.append(loadFailure(file, "loading it: \(error)"))
                continue
            }
            for specCase in cases {
                let outcome: HookSpecOutcome
                do {
                    switch try pool.call(
                        .specRun(setup, specCase), ceiling: setup.limits.timeout * 16 + pool.configuration.grace)
                    {
                    case .specOutcome(let ended): outcome = ended
                    case let other: outcome = .failed([unexpected(other, instance: nil, nic: nil).message])
                    }
                } catch {
                    outcome = .failed(["the case cannot run: \(error)"])
                }
                results.append(HookSpecResult(name: specCase.name, location: specCase.location, outcome: outcome))
            }
        }
        return results
    }

    private func loadFailure(_ file: String, _ message: String) -> HookSpecResult {
        HookSpecResult(name: "loading the spec file", location: file, outcome: .failed(["\(file): \(message)"]))
    }

    /// `hooks eval` of a file; `require` searches only `moduleRoots`.
    public func eval(_ file: String, moduleRoots: [String]) throws(HookWorkerFailure) -> HookEvaluation.Result {
        switch try pool.call(.eval(setup, file: file, moduleRoots: moduleRoots), ceiling: ceiling, maximum: maximum) {
        case .evaluated(let result): return result
        case let other: throw HookWorkerFailure(.broken(unexpected(other, instance: nil, nic: nil).message))
        }
    }

    private func unexpected(_ response: HookWorkerResponse, instance: String?, nic: Int?) -> HookError {
        if case .refused(let why) = response {
            return HookError(.worker, "its worker refused the call: \(why)", instance: instance, nicIndex: nic)
        }
        return HookError(
            .worker, "its worker answered another call's kind: \(response)", instance: instance, nicIndex: nic)
    }
}

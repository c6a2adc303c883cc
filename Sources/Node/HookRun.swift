import Foundation
import Hooks

/// One NIC hook call as the node saw it: which instance, NIC and action, the hook file and
/// version (from the NIC's journal), how long it took and how it failed. The daemon makes events
/// and metrics of these.
public struct HookRun: Sendable, Codable, Equatable {
    public var instance: String
    public var nic: Int
    /// `up` or `down`.
    public var action: String
    public var mode: String
    public var phase: String?
    public var file: String?
    public var version: String?
    public var seconds: Double
    /// The failure, as the user sees it; nil when the call succeeded.
    public var error: String?

    /// Times `body` (a hook call for `call`) and describes it; the hook's file and version come
    /// from the NIC's journal, read before a `down` (which removes it) and after an `up`.
    static func observe(
        _ call: NICHookCall, stateDirectory: String, _ body: () throws(HookError) -> [HookCallLine]
    ) -> (HookRun, Result<[HookCallLine], HookError>) {
        let before = sourceBefore(call, stateDirectory: stateDirectory)
        let started = ContinuousClock.now
        let result = Result { () throws(HookError) in try body() }
        let run = HookRun(
            call, result, took: ContinuousClock.now - started, before: before, stateDirectory: stateDirectory)
        return (run, result)
    }

    /// What a `down` must read of its journal before it runs (nothing for an `up`).
    static func sourceBefore(_ call: NICHookCall, stateDirectory: String) -> (file: String, version: String)? {
        guard call.action == .down else { return nil }
        return source(Journal.path(stateDirectory: stateDirectory, instance: call.instance, nicIndex: call.index))
    }

    fileprivate static func source(_ journal: String) -> (file: String, version: String)? {
        guard case .begin(let hook, let version, _, _, _, _)? = (try? Journal.load(path: journal))??.entries.first
        else { return nil }
        return (hook, version)
    }
}

extension HookRun {
    /// `call`, ended with `result` after `took`; `before` is what ``sourceBefore(_:stateDirectory:)``
    /// read.
    init(
        _ call: NICHookCall, _ result: Result<[HookCallLine], HookError>, took: Duration,
        before: (file: String, version: String)?, stateDirectory: String
    ) {
        var source = before
        if call.action == .up {
            source = Self.source(
                Journal.path(stateDirectory: stateDirectory, instance: call.instance, nicIndex: call.index))
        }
        self.init(
            instance: call.instance, nic: call.index, action: call.action.rawValue, mode: call.nic.mode,
            phase: call.phase?.rawValue, file: source?.file, version: source?.version,
            seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        if case .failure(let error) = result {
            self.error = "\(error)"
            file = file ?? error.hookFile
        }
    }
}

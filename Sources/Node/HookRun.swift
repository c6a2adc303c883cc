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
        let journal = Journal.path(stateDirectory: stateDirectory, instance: call.instance, nicIndex: call.index)
        var source = call.action == .down ? Self.source(journal) : nil
        let started = ContinuousClock.now
        let result = Result { () throws(HookError) in try body() }
        let took = ContinuousClock.now - started
        if call.action == .up { source = Self.source(journal) }
        var run = HookRun(
            instance: call.instance, nic: call.index, action: call.action.rawValue, mode: call.nic.mode,
            phase: call.phase?.rawValue, file: source?.file, version: source?.version,
            seconds: Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
        if case .failure(let error) = result {
            run.error = "\(error)"
            run.file = run.file ?? error.hookFile
        }
        return (run, result)
    }

    private static func source(_ journal: String) -> (file: String, version: String)? {
        guard case .begin(let hook, let version, _, _, _, _)? = (try? Journal.load(path: journal))??.entries.first
        else { return nil }
        return (hook, version)
    }
}

import Foundation
import QEMU
import QMP

/// A source's migration once `migrate` returned: followed on qemu's events until it completes,
/// fails or is cancelled, with a look at `query-migrate` for progress now and then (progress
/// only: completion is the MIGRATION event, not a poll).
struct MigrationRun {
    /// How it ended when not completed: `failed` or `cancelled`, with qemu's `error-desc`.
    var ended: String?
    var errorText: String?
    /// qemu's timestamps of the source's STOP and of `completed`.
    var stoppedAt: Double?
    var completedAt: Double?
    /// From the `completed` event's timestamp to this process acting on it, ms.
    var noticedAfter: Double = 0
    /// Once qemu switched to postcopy, the guest runs on the target: the source is never resumed.
    var postcopyActive = false

    private struct Ended: Error {}

    /// The next event, or nil when none came within `bound`.
    private func nextEvent(_ qmp: QMPConnection, within bound: Duration) throws(QMPError) -> QMPEvent? {
        do {
            return try qmp.nextEvent(timeout: bound)
        } catch {
            if error.code == .timeout { return nil }
            throw error
        }
    }

    mutating func follow(
        _ qmp: QMPConnection, postcopy: Bool, progressInterval: Duration, progress: (MigrationProgress) -> Void,
        cancelled: () -> Bool
    ) throws {
        let clock = ContinuousClock()
        // The first look comes once qemu says the migration is active, then every interval.
        var lastProgress = clock.now - progressInterval
        var active = false
        var cancelSent = false
        var postcopyStarted = false
        while true {
            if !cancelSent, cancelled() {
                cancelSent = true
                // qemu refuses once postcopy runs (the guest already lives on the target).
                do {
                    _ = try qmp.execute("migrate_cancel")
                } catch {
                    if !postcopyActive { throw error }
                }
            }
            let event = try nextEvent(qmp, within: min(progressInterval, .milliseconds(200)))
            if let event {
                switch (event.name, event.data["status"]?.stringValue) {
                case ("STOP", _):
                    stoppedAt = event.timestamp
                case ("MIGRATION", "completed"?):
                    completedAt = event.timestamp
                    if let timestamp = event.timestamp {
                        noticedAfter = (Date().timeIntervalSince1970 - timestamp) * 1000
                    }
                    return
                case ("MIGRATION", let status?) where status == "failed" || status == "cancelled":
                    ended = status
                    let answer = try? qmp.execute("query-migrate", timeout: .seconds(2))
                    errorText = answer?["error-desc"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                    throw Ended()
                case ("MIGRATION", "active"?) where postcopy && !postcopyStarted:
                    // qemu switches once what is left of the first pass fits: the guest then runs
                    // on the target and pulls the rest on demand.
                    postcopyStarted = true
                    _ = try qmp.execute("migrate-start-postcopy")
                case ("MIGRATION", "postcopy-active"?):
                    postcopyActive = true
                default:
                    break
                }
            }
            if event?.name == "MIGRATION", event?.data["status"]?.stringValue == "active" { active = true }
            if active, clock.now - lastProgress >= progressInterval {
                lastProgress = clock.now
                if let answer = try? qmp.execute("query-migrate", timeout: .seconds(2)),
                    let seen = MigrationProgress(answer)
                {
                    progress(seen)
                }
            }
        }
    }
}

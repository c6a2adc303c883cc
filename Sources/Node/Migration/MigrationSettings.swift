/// How a source migrates (Ganeti's parameters and capabilities); what is nil comes from the
/// instance's hvparams (`migration_bandwidth`, `migration_downtime`).
public struct MigrationSettings: Sendable, Hashable {
    /// Stop the guest first (Ganeti's non-live mode); it runs again if the migration fails.
    public var offline = false
    /// MiB/s; 0 is no cap.
    public var bandwidth: Int?
    /// The longest pause qemu aims for at the switch, in milliseconds.
    public var downtime: Int?
    /// Switch to postcopy once the first pass is under way (both sides need it).
    public var postcopy = false

    public init(offline: Bool = false, bandwidth: Int? = nil, downtime: Int? = nil, postcopy: Bool = false) {
        self.offline = offline
        self.bandwidth = bandwidth
        self.downtime = downtime
        self.postcopy = postcopy
    }

    /// The capabilities set on both sides: `events` (completion is learned from qemu's MIGRATION
    /// event), `return-path` (the source's `completed` then means the target loaded the guest,
    /// and a target that fails makes the source fail and run on), `postcopy-ram` when asked.
    public static func capabilities(postcopy: Bool) -> [String] {
        ["events", "return-path"] + (postcopy ? ["postcopy-ram"] : [])
    }
}

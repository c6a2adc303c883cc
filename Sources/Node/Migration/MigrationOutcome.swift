/// What a finished migration measured, on the source.
public struct MigrationOutcome: Sendable, Hashable, Codable {
    public var instance: String
    public var target: String
    /// qemu's figures: the whole migration, the pause it counted, its setup (milliseconds).
    public var totalTime: Int64
    public var downtime: Int64
    public var setupTime: Int64
    public var transferred: Int64
    /// From qemu's MIGRATION `completed` event (its timestamp) to taphouse acting on it, ms.
    public var noticedAfter: Double
    /// qemu's timestamps (seconds since the epoch): the source's CPUs stopped, and the
    /// migration completed. A target's RESUME minus `stoppedAt` is the guest's real pause.
    public var stoppedAt: Double?
    public var completedAt: Double?
    /// The target's `finalize`, when the source's daemon drove the target's.
    public var arrival: IncomingOutcome?

    enum CodingKeys: String, CodingKey {
        case instance, target, totalTime = "total_time_ms", downtime = "downtime_ms", setupTime = "setup_time_ms"
        case transferred, noticedAfter = "noticed_after_ms", stoppedAt = "stopped_at", completedAt = "completed_at",
            arrival
    }
}

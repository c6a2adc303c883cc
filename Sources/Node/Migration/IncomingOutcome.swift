/// What `finalize --success` did on the target.
public struct IncomingOutcome: Sendable, Hashable, Codable {
    public var instance: String
    /// Whether the guest waited, paused, for the NICs' `post` phase (a routed or ext NIC).
    public var waitedForPost: Bool
    /// Whether the guest runs (else it stays paused, as asked).
    public var running: Bool
    /// qemu's timestamp of the guest's RESUME on this node, when this finalize saw it (it let the
    /// guest run, or waited while it arrived); nil when it ran before finalize asked.
    public var resumedAt: Double?
    /// `post` phase hooks that failed: logged and reported, the guest runs (as Ganeti).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case instance, waitedForPost = "waited_for_post", running, resumedAt = "resumed_at", warnings
    }
}

/// What `finalize --success` did on the target.
public struct IncomingOutcome: Sendable, Hashable, Codable {
    public var instance: String
    /// Whether the guest waited, paused, for the NICs' `post` phase (a routed or ext NIC).
    public var waitedForPost: Bool
    /// qemu's timestamp of the guest running on this node (its RESUME event, or the `cont`).
    public var resumedAt: Double?
    /// `post` phase hooks that failed: logged and reported, the guest runs (as Ganeti).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case instance, waitedForPost = "waited_for_post", resumedAt = "resumed_at", warnings
    }
}

/// The body of a target's `finalize`.
public struct FinalizeRequest: Codable, Sendable, Equatable {
    public var success: Bool
    public var timeout: Double?
    public var paused: Bool?
    public var reason: String?
}

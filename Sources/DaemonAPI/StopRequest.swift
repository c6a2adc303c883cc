/// The body of `stop`, `reboot` and `cleanup` (all optional, as is the body).
public struct StopRequest: Codable, Sendable, Equatable {
    public var timeout: Double?
    public var force: Bool?
    public var reason: String?

    public init(timeout: Double? = nil, force: Bool? = nil, reason: String? = nil) {
        self.timeout = timeout
        self.force = force
        self.reason = reason
    }
}

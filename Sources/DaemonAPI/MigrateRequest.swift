import Node

/// The body of a source's `migrate`.
public struct MigrateRequest: Codable, Sendable, Equatable {
    public var target: String
    /// The target node's daemon: then this daemon has it accept before and finalize after.
    public var targetDaemon: PeerAddress?
    public var offline: Bool?
    public var bandwidth: Int?
    public var downtime: Int?
    public var postcopy: Bool?
    public var reason: String?

    /// The target's address and the settings, checked; a refusal is a 400 naming the field.
    public func checked(path: String) throws(Problem) -> (MigrationAddress, MigrationSettings) {
        let address: MigrationAddress
        do {
            address = try MigrationAddress(target, field: "target")
            _ = try targetDaemon?.checked()
        } catch {
            throw Problem(error, path: path)
        }
        for (field, value) in [("bandwidth", bandwidth), ("downtime", downtime)] {
            if let value, value < 0 {
                throw Problem(
                    status: 400, code: "bad-request", title: "\(field) is negative", detail: "\(field): \(value)",
                    path: path)
            }
        }
        let settings = MigrationSettings(
            offline: offline ?? false, bandwidth: bandwidth, downtime: downtime, postcopy: postcopy ?? false)
        return (address, settings)
    }
}

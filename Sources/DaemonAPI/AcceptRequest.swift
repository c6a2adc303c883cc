import Node
import QEMU

/// The body of a target's `accept`: the source's migration info and where qemu listens.
public struct AcceptRequest: Codable, Sendable, Equatable {
    public var migrationInfo: JSONValue
    public var listen: String
    public var postcopy: Bool?
    public var reason: String?

    /// The info and the address, checked: an info for another instance than the path's, or one
    /// that does not read, is a 400 naming the field.
    public func checked(name: String, path: String) throws(Problem) -> (MigrationInfo, MigrationAddress) {
        let info: MigrationInfo
        do {
            info = try MigrationInfo.parse(migrationInfo, file: "migration_info")
        } catch {
            throw Problem(
                status: 400, code: "invalid-spec", title: "the migration info is not valid", detail: "\(error)",
                path: path)
        }
        guard info.instance == name else {
            throw Problem(
                status: 400, code: "invalid-spec", title: "the migration info is for another instance",
                detail: "migration_info.instance: \(info.instance) is not \(name)", path: path)
        }
        do {
            return (info, try MigrationAddress(listen, field: "listen"))
        } catch {
            throw Problem(error, path: path)
        }
    }
}

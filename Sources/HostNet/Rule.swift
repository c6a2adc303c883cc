/// A policy routing rule: packets arriving on a device look up a table.
public struct Rule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 4 or 6.
    public var family: Int
    /// The input interface (`iif`).
    public var device: String
    public var table: Int
    /// The rule's priority, when it has one (the kernel picks one below the last when absent).
    public var priority: Int?

    public init(family: Int, device: String, table: Int, priority: Int? = nil) {
        self.family = family
        self.device = device
        self.table = table
        self.priority = priority
    }

    public var description: String {
        "ipv\(family) iif \(device) table \(table)" + (priority.map { " priority \($0)" } ?? "")
    }
}

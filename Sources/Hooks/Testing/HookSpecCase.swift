import LuaKit

/// A case as a spec file registered it with `taphouse.test.case`: its name, where it was
/// written, and its table (read into a ``HookSpec`` when it runs).
public struct HookSpecCase: Sendable, Codable {
    public var name: String
    public var file: String
    public var line: Int
    public var table: LuaValue

    public init(name: String, file: String, line: Int, table: LuaValue) {
        self.name = name
        self.file = file
        self.line = line
        self.table = table
    }

    /// `file:line`, as failures are reported.
    public var location: String { "\(file):\(line)" }
}

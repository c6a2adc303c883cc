/// The fields a table handed to a call may have: reading one it does not have is an error naming
/// it (`nic has no field 'BRDIGE'`), where a plain table would give nil and a misspelt key would
/// go unnoticed. A field it may have but has not (an unset IP) still reads as nil. Nested tables
/// listed in ``nested`` are made strict the same way.
public struct LuaStrictTable: Sendable, Hashable {
    /// What the table is called in messages (`nic`, `nic.NETWORK`).
    public var name: String
    public var fields: Set<String>
    public var nested: [String: LuaStrictTable]

    public init(name: String, fields: Set<String>, nested: [String: LuaStrictTable] = [:]) {
        self.name = name
        self.fields = fields
        self.nested = nested
    }
}

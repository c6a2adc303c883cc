/// A compiled chunk held by a ``LuaState``: a file or a named source text, ready to be called.
///
/// Cheap to copy. Valid in the state that loaded it until a newer load of the same name
/// replaces it; calling it after that is a ``LuaError/Code/file`` error, never a wrong call.
public struct LuaChunk: Sendable, Hashable {
    /// The file path, or the name given to the source text.
    public let name: String
    /// The chunk name Lua knows it by (`@path` or `=name`), and its key in the state's cache.
    let key: String
    let ref: Int32
    let serial: UInt64
    let owner: ObjectIdentifier
}

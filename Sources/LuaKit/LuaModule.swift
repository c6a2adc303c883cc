/// A Swift function Lua code can call. It gets the arguments as values and returns the results;
/// an error it throws becomes a Lua error at the caller's `file:line`.
public typealias LuaFunction = (LuaArguments) throws -> [LuaValue]

/// A module of Swift functions (and constant values) a chunk gets with `require "name"`.
///
/// Each call gets its own copy of the module table, so one call cannot change what the next
/// one sees.
public struct LuaModule {
    /// The name `require` takes, for example `taphouse.log`.
    public var name: String
    /// The functions, by field name.
    public var functions: [String: LuaFunction]
    /// Constant fields.
    public var values: [String: LuaValue]

    /// Creates a module.
    public init(name: String, functions: [String: LuaFunction], values: [String: LuaValue] = [:]) {
        self.name = name
        self.functions = functions
        self.values = values
    }
}

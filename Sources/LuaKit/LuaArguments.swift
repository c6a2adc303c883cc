/// The arguments of a call from Lua into a ``LuaFunction``, with checks that fail the way
/// Lua's own library functions do: `bad argument #1 to 'info' (string expected, got nil)`.
public struct LuaArguments: Sendable {
    /// The function's name as Lua code calls it, for messages.
    public let functionName: String
    /// The values, in order; trailing `nil`s the caller passed are kept.
    public let values: [LuaValue]
    /// Where the Lua code that made the call is: its file (the full path, as in ``LuaError``)
    /// and line; nil when the caller is not Lua code with line information.
    public let caller: (file: String, line: Int)?

    /// Creates arguments (for tests and for Swift code calling a ``LuaFunction`` directly).
    public init(functionName: String, values: [LuaValue], caller: (file: String, line: Int)? = nil) {
        self.functionName = functionName
        self.values = values
        self.caller = caller
    }

    /// The number of arguments passed.
    public var count: Int { values.count }

    /// Argument `position` (1-based), or `nil` when not passed.
    public subscript(position: Int) -> LuaValue {
        position >= 1 && position <= values.count ? values[position - 1] : .nil
    }

    /// The error for argument `position`, worded as Lua words it.
    public func badArgument(_ position: Int, _ reason: String) -> LuaArgumentError {
        LuaArgumentError(message: "bad argument #\(position) to '\(functionName)' (\(reason))")
    }

    private func expected(_ what: String, _ position: Int) -> LuaArgumentError {
        badArgument(
            position,
            "\(what) expected, got \(self[position] == .nil && position > count ? "no value" : self[position].typeName)"
        )
    }

    /// A required string argument.
    public func string(_ position: Int) throws -> String {
        if case .string(let s) = self[position] { return s }
        if case .bytes = self[position] { throw badArgument(position, "string is not valid UTF-8") }
        throw expected("string", position)
    }

    /// An optional string argument.
    public func optionalString(_ position: Int) throws -> String? {
        self[position] == .nil ? nil : try string(position)
    }

    /// A required integer argument (a float with an integral value is accepted, as Lua does).
    public func integer(_ position: Int) throws -> Int64 {
        switch self[position] {
        case .integer(let i): return i
        case .number(let d):
            guard let i = Int64(exactly: d) else { throw badArgument(position, "number has no integer representation") }
            return i
        default: throw expected("number", position)
        }
    }

    /// A required boolean argument.
    public func boolean(_ position: Int) throws -> Bool {
        if case .boolean(let b) = self[position] { return b }
        throw expected("boolean", position)
    }

    /// A required table argument (array or map).
    public func table(_ position: Int) throws -> LuaValue {
        switch self[position] {
        case .array, .map: return self[position]
        default: throw expected("table", position)
        }
    }

    /// An optional table argument.
    public func optionalTable(_ position: Int) throws -> LuaValue? {
        self[position] == .nil ? nil : try table(position)
    }
}

/// An argument check that failed; its message is Lua's wording, and the caller's position is
/// put in front of it when it reaches Lua.
public struct LuaArgumentError: Error, Sendable, CustomStringConvertible {
    /// The message, as Lua would word it.
    public var message: String

    /// Creates an error with a message a Lua caller will read after its `file:line:`.
    public init(message: String) { self.message = message }
    public var description: String { message }
}

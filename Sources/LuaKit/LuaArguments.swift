import CLua

/// The arguments of a call from Lua into a ``LuaFunction``, with checks that fail the way
/// Lua's own library functions do: `bad argument #1 to 'info' (string expected, got nil)`.
///
/// From Lua, an argument is converted to Swift only when the function asks for it, and only
/// after its type was checked: a function that wants a string does not copy the table it was
/// given by mistake. What is copied counts against the state's conversion budget (its memory
/// budget) for the whole call. Arguments from Lua are valid only while the function runs.
public struct LuaArguments: @unchecked Sendable {
    /// The function's name as Lua code calls it, for messages.
    public let functionName: String
    /// The number of arguments passed; trailing `nil`s the caller passed count.
    public let count: Int
    /// Where the Lua code that made the call is: its file (the full path, as in ``LuaError``)
    /// and line; nil when the caller is not Lua code with line information.
    public let caller: (file: String, line: Int)?
    private let given: [LuaValue]
    private let stack: LuaArgumentStack?

    /// Creates arguments (for tests and for Swift code calling a ``LuaFunction`` directly).
    public init(functionName: String, values: [LuaValue], caller: (file: String, line: Int)? = nil) {
        self.functionName = functionName
        count = values.count
        self.caller = caller
        given = values
        stack = nil
    }

    init(functionName: String, stack: LuaArgumentStack, caller: (file: String, line: Int)?) {
        self.functionName = functionName
        count = Int(stack.count)
        self.caller = caller
        given = []
        self.stack = stack
    }

    /// Argument `position` (1-based), converted; `nil` when not passed.
    public subscript(position: Int) -> LuaValue {
        get throws(LuaArgumentError) {
            guard position >= 1 && position <= count else { return .nil }
            guard let stack else { return given[position - 1] }
            return try stack.value(position, functionName)
        }
    }

    /// Every argument, converted.
    public func values() throws(LuaArgumentError) -> [LuaValue] {
        var values: [LuaValue] = []
        for position in stride(from: 1, through: count, by: 1) { values.append(try self[position]) }
        return values
    }

    /// The Lua type name of argument `position` (`no value` past the last), without converting it.
    public func typeName(_ position: Int) -> String {
        guard position >= 1 && position <= count else { return "no value" }
        guard let stack else { return given[position - 1].typeName }
        return LuaState.typeName(stack.type(position))
    }

    /// Whether argument `position` is absent or nil.
    public func isNil(_ position: Int) -> Bool {
        guard position >= 1 && position <= count else { return true }
        guard let stack else { return given[position - 1] == .nil }
        return stack.type(position) == LUA_TNIL
    }

    /// The error for argument `position`, worded as Lua words it.
    public func badArgument(_ position: Int, _ reason: String) -> LuaArgumentError {
        LuaArgumentError(message: "bad argument #\(position) to '\(functionName)' (\(reason))")
    }

    private func expected(_ what: String, _ position: Int) -> LuaArgumentError {
        badArgument(position, "\(what) expected, got \(typeName(position))")
    }

    /// Whether argument `position` has Lua type `type` (checked before anything is copied).
    private func has(_ position: Int, _ type: Int32, _ value: (LuaValue) -> Bool) -> Bool {
        guard position >= 1 && position <= count else { return false }
        guard let stack else { return value(given[position - 1]) }
        return stack.type(position) == type
    }

    /// A required string argument.
    public func string(_ position: Int) throws -> String {
        guard
            has(
                position, LUA_TSTRING,
                { if case .string = $0 { true } else if case .bytes = $0 { true } else { false } })
        else { throw expected("string", position) }
        switch try self[position] {
        case .string(let s): return s
        default: throw badArgument(position, "string is not valid UTF-8")
        }
    }

    /// An optional string argument.
    public func optionalString(_ position: Int) throws -> String? {
        isNil(position) ? nil : try string(position)
    }

    /// A required integer argument (a float with an integral value is accepted, as Lua does).
    public func integer(_ position: Int) throws -> Int64 {
        guard
            has(
                position, LUA_TNUMBER,
                { if case .integer = $0 { true } else if case .number = $0 { true } else { false } })
        else { throw expected("number", position) }
        switch try self[position] {
        case .integer(let i): return i
        case .number(let d):
            guard let i = Int64(exactly: d) else { throw badArgument(position, "number has no integer representation") }
            return i
        default: throw expected("number", position)
        }
    }

    /// A required boolean argument.
    public func boolean(_ position: Int) throws -> Bool {
        guard case .boolean(let b) = try self[position] else { throw expected("boolean", position) }
        return b
    }

    /// A required table argument (array or map), converted only once it is known to be a table.
    public func table(_ position: Int) throws -> LuaValue {
        guard has(position, LUA_TTABLE, { if case .array = $0 { true } else if case .map = $0 { true } else { false } })
        else { throw expected("table", position) }
        return try self[position]
    }

    /// An optional table argument.
    public func optionalTable(_ position: Int) throws -> LuaValue? {
        isNil(position) ? nil : try table(position)
    }

    /// Runs `body` (a wait: a command, a switch's database) outside the call's Lua time budget:
    /// the time it takes moves the budget's deadline, and is named in a timeout's message under
    /// `label`.
    public func outsideBudget<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        guard let stack else { return try body() }
        let start = ContinuousClock.now
        defer { stack.state.excludeFromBudget(.now - start, label: label) }
        return try body()
    }

    /// What is left of the call's ceiling (``LuaLimits/ceiling``), nil without one: a wait must
    /// end before it.
    public var ceilingLeft: Duration? { stack?.state.ceilingLeft }

    /// What of `text` this call may still print or log (see ``LuaLimits/outputBytes``): the
    /// text, cut to what is left, or nil when nothing is. Unlimited for arguments made in Swift.
    public func admitOutput(_ text: String) -> String? {
        guard let stack else { return text }
        var text = text
        return text.withUTF8 { stack.state.admitOutput(UnsafeRawBufferPointer($0)) }
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

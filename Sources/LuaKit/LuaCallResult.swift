/// What ``LuaState/callFunction(_:_:arguments:readOnly:opaque:)`` returns: the function's
/// results, and where the function is defined, for messages about what it returned.
public struct LuaCallResult: Sendable, Equatable {
    /// What the function returned.
    public var values: [LuaValue]
    /// The file (chunk) that defines the function; `nil` for a C function or a plain chunk call.
    public var file: String?
    /// The line where the function's definition starts.
    public var line: Int?

    /// Creates a result.
    public init(values: [LuaValue], file: String? = nil, line: Int? = nil) {
        self.values = values
        self.file = file
        self.line = line
    }
}

/// A Lua value as Swift sees it: the one typed form in which data crosses the bridge, both ways.
///
/// Integers and floats are kept apart as Lua 5.4 keeps them (`math.type`). Strings are byte
/// strings in Lua: valid UTF-8 arrives as ``string(_:)`` (embedded NUL bytes included), anything
/// else as ``bytes(_:)``, so nothing is lost. A table whose keys are exactly `1...n` arrives as
/// ``array(_:)``; any other table (the empty one included) as ``map(_:)``.
public enum LuaValue: Sendable, Hashable, Codable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case bytes([UInt8])
    case array([LuaValue])
    case map([LuaKey: LuaValue])
    /// A value with no data form (a function, a coroutine, a userdata), named by its Lua type.
    /// Produced only when converting with ``LuaValue/OpaquePolicy/describe``; never pushed.
    case opaque(String)

    /// What a conversion from Lua does with functions, coroutines and userdata.
    public enum OpaquePolicy: Sendable {
        /// Refuse them with a conversion error naming where they are.
        case refuse
        /// Turn them into ``LuaValue/opaque(_:)`` (used to show a value, never to act on it).
        case describe
    }

    /// The Lua type name of the value, as `type()` would print it.
    public var typeName: String {
        switch self {
        case .nil: "nil"
        case .boolean: "boolean"
        case .integer, .number: "number"
        case .string, .bytes: "string"
        case .array, .map: "table"
        case .opaque(let kind): kind
        }
    }

    /// The string, when the value is one and is valid UTF-8.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The integer, also for a float with an exact integer value (as Lua's `math.tointeger`).
    public var integerValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    /// The number as a Double, for an integer or a float.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The boolean, when the value is one.
    public var boolValue: Bool? {
        if case .boolean(let b) = self { return b }
        return nil
    }

    /// The elements, for an array or an empty table (which Lua cannot tell from an empty map).
    public var arrayValue: [LuaValue]? {
        switch self {
        case .array(let a): return a
        case .map(let m) where m.isEmpty: return []
        default: return nil
        }
    }

    /// The entries, for a map, or an array seen as a map from 1-based integers.
    public var mapValue: [LuaKey: LuaValue]? {
        switch self {
        case .map(let m): return m
        case .array(let a):
            return Dictionary(
                uniqueKeysWithValues: a.enumerated().map { (LuaKey.integer(Int64($0.offset + 1)), $0.element) })
        default: return nil
        }
    }

    /// A field of a map (or an element of an array, for an integer key); `nil` when absent.
    public subscript(key: LuaKey) -> LuaValue {
        switch (self, key) {
        case (.map(let m), _): return m[key] ?? .nil
        case (.array(let a), .integer(let i)) where i >= 1 && i <= a.count: return a[Int(i - 1)]
        default: return .nil
        }
    }

    /// Whether Lua would treat the value as false in a condition.
    public var isFalsy: Bool {
        switch self {
        case .nil, .boolean(false): true
        default: false
        }
    }
}

extension LuaValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .nil }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: LuaValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (LuaKey, LuaValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

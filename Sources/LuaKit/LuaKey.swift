/// A key of a Lua table that can cross to Swift: a string or an integer.
///
/// Lua normalises float keys with an integral value to integers, so those arrive as
/// ``integer(_:)``; other keys (booleans, tables, fractional floats) are refused with a
/// conversion error.
public enum LuaKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    case string(String)
    case integer(Int64)

    /// Integers first, in numeric order, then strings in code point order: a stable order for
    /// output (JSON, messages) that does not depend on hashing.
    public static func < (lhs: LuaKey, rhs: LuaKey) -> Bool {
        switch (lhs, rhs) {
        case (.integer(let a), .integer(let b)): a < b
        case (.string(let a), .string(let b)): a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.integer, .string): true
        case (.string, .integer): false
        }
    }

    public var description: String {
        switch self {
        case .string(let s): s
        case .integer(let i): String(i)
        }
    }

    /// How the key extends a path in a message: `.name` for identifiers, `[3]` or `["a b"]` else.
    func pathComponent() -> String {
        switch self {
        case .integer(let i): return "[\(i)]"
        case .string(let s):
            let isIdentifier =
                !s.isEmpty
                && s.utf8.allSatisfy {
                    $0 == 0x5F || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39)
                }
                && !(s.utf8.first! >= 0x30 && s.utf8.first! <= 0x39)
            return isIdentifier ? ".\(s)" : "[\(String(reflecting: s))]"
        }
    }
}

extension LuaKey: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

/// The value of one hypervisor parameter: a string, an integer or a boolean.
public enum HVValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): String(b)
        }
    }

    /// Whether Ganeti would treat the value as unset (`""`; only strings can be).
    public var isEmpty: Bool { self == .string("") }

    /// The value as JSON.
    public var json: JSONValue {
        switch self {
        case .string(let s): .string(s)
        case .int(let i): .int(Int64(i))
        case .bool(let b): .bool(b)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int.self) {
            self = .int(i)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let i): try container.encode(i)
        case .bool(let b): try container.encode(b)
        }
    }
}

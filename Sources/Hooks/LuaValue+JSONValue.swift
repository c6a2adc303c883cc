import LuaKit
import QEMU

/// Data crossing between the JSON forms the QEMU module reads and writes and the Lua tables
/// hooks get and return, directly rather than through JSON text.
extension LuaValue {
    /// The JSON value as a Lua table or scalar: objects as maps, arrays as arrays, integers
    /// and floats kept apart; `null` (absent in Lua) as `nil`.
    init(json: JSONValue) {
        switch json {
        case .null: self = .nil
        case .bool(let b): self = .boolean(b)
        case .int(let i): self = .integer(i)
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let elements): self = .array(elements.map(LuaValue.init(json:)))
        case .object(let fields):
            self = .map(
                Dictionary(uniqueKeysWithValues: fields.map { (LuaKey.string($0.key), LuaValue(json: $0.value)) }))
        }
    }
}

extension JSONValue {
    /// The Lua value as JSON: a table with keys `1...n` as an array, any other (the empty one
    /// included) as an object whose integer keys become their decimal text. A value with no
    /// data form (a function, a string that is not UTF-8) is refused naming where it is.
    init(lua value: LuaValue, path: String) throws(SpecError) {
        switch value {
        case .nil: self = .null
        case .boolean(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .number(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .bytes: throw SpecError(path, "a string that is not valid UTF-8")
        case .opaque(let kind): throw SpecError(path, "expected data, got a \(kind)")
        case .array(let elements):
            var array: [JSONValue] = []
            for (offset, element) in elements.enumerated() {
                array.append(try JSONValue(lua: element, path: "\(path)[\(offset + 1)]"))
            }
            self = .array(array)
        case .map(let fields):
            var object: [String: JSONValue] = [:]
            for (key, element) in fields {
                let at =
                    switch key {
                    case .integer(let i): "\(path)[\(i)]"
                    case .string(let name): path.isEmpty ? name : "\(path).\(name)"
                    }
                object[key.description] = try JSONValue(lua: element, path: at)
            }
            self = .object(object)
        }
    }
}

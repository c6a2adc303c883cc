import LuaKit
import QEMU

/// A table of a spec case read field by field: every wrong type or unknown key is an error
/// naming its path, so a typo in a spec fails loudly instead of testing less than it says.
struct SpecTable {
    let path: String
    let fields: [LuaKey: LuaValue]

    /// A table with no fields (what a case that leaves a table out gets).
    init(emptyAt path: String) {
        self.path = path
        fields = [:]
    }

    init(_ value: LuaValue, path: String) throws(SpecError) {
        self.path = path
        switch value {
        case .map(let fields): self.fields = fields
        case .array(let elements) where elements.isEmpty: fields = [:]
        default: throw SpecError(path, "a table with named fields expected, got \(value.typeName)")
        }
    }

    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Refuses keys the spec format does not have.
    func only(_ keys: Set<String>) throws(SpecError) {
        for key in fields.keys.sorted() {
            guard case .string(let name) = key, keys.contains(name) else {
                throw SpecError(
                    path.isEmpty ? "\(key)" : "\(path).\(key)",
                    "unknown field (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }
    }

    subscript(key: String) -> LuaValue { fields[.string(key)] ?? .nil }

    func string(_ key: String) throws(SpecError) -> String? {
        switch self[key] {
        case .nil: return nil
        case .string(let s): return s
        case let other: throw SpecError(at(key), "a string expected, got \(other.typeName)")
        }
    }

    func integer(_ key: String) throws(SpecError) -> Int? {
        switch self[key] {
        case .nil: return nil
        case .integer(let i): return Int(i)
        case let other: throw SpecError(at(key), "an integer expected, got \(other.typeName)")
        }
    }

    func boolean(_ key: String) throws(SpecError) -> Bool? {
        switch self[key] {
        case .nil: return nil
        case .boolean(let b): return b
        case let other: throw SpecError(at(key), "a boolean expected, got \(other.typeName)")
        }
    }

    func table(_ key: String) throws(SpecError) -> SpecTable? {
        self[key] == .nil ? nil : try SpecTable(self[key], path: at(key))
    }

    func list(_ key: String) throws(SpecError) -> [LuaValue]? {
        switch self[key] {
        case .nil: return nil
        case let value:
            guard let elements = value.arrayValue else {
                throw SpecError(at(key), "a list expected, got \(value.typeName)")
            }
            return elements
        }
    }

    func strings(_ key: String) throws(SpecError) -> [String]? {
        guard let elements = try list(key) else { return nil }
        var strings: [String] = []
        for (offset, element) in elements.enumerated() {
            guard case .string(let s) = element else {
                throw SpecError("\(at(key))[\(offset + 1)]", "a string expected, got \(element.typeName)")
            }
            strings.append(s)
        }
        return strings
    }

    /// The entries of a table keyed by name (`links = { tap0 = {...} }`), sorted by name.
    func named(_ key: String) throws(SpecError) -> [(name: String, value: LuaValue)]? {
        guard let table = try table(key) else { return nil }
        var entries: [(String, LuaValue)] = []
        for (name, value) in table.fields {
            guard case .string(let s) = name else {
                throw SpecError(table.path, "keys must be names, got \(name)")
            }
            entries.append((s, value))
        }
        return entries.sorted { $0.0 < $1.0 }
    }
}

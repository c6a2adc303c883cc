/// Reads the fields of one JSON object, refusing with the field's path: wrong types, missing
/// required fields, and (at `finish`) keys nobody read.
struct FieldReader {
    let path: String
    let object: [String: JSONValue]
    private var read: Set<String> = []

    init(_ json: JSONValue, path: String) throws(SpecError) {
        guard let object = json.objectValue else { throw SpecError(path, "expected an object, got \(json.kind)") }
        self.path = path
        self.object = object
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The raw value; `nil` when absent or null.
    mutating func value(_ key: String) -> JSONValue? {
        read.insert(key)
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    mutating func string(_ key: String) throws(SpecError) -> String? {
        guard let v = value(key) else { return nil }
        guard let s = v.stringValue else { throw SpecError(field(key), "expected a string, got \(v.kind)") }
        return s
    }

    mutating func requiredString(_ key: String) throws(SpecError) -> String {
        guard let s = try string(key), !s.isEmpty else { throw SpecError(field(key), "a value is required") }
        return s
    }

    mutating func int(_ key: String) throws(SpecError) -> Int? {
        guard let v = value(key) else { return nil }
        guard let i = v.intValue, let int = Int(exactly: i) else {
            throw SpecError(field(key), "expected an integer, got \(v.kind)")
        }
        return int
    }

    mutating func bool(_ key: String) throws(SpecError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw SpecError(field(key), "expected a boolean, got \(v.kind)") }
        return b
    }

    mutating func array(_ key: String) throws(SpecError) -> [JSONValue] {
        guard let v = value(key) else { return [] }
        guard let a = v.arrayValue else { throw SpecError(field(key), "expected an array, got \(v.kind)") }
        return a
    }

    /// Marks keys as known but unused (Ganeti bookkeeping such as `serial_no`).
    mutating func ignore(_ keys: [String]) { read.formUnion(keys) }

    /// Refuses any key that was not read.
    func finish() throws(SpecError) {
        if let unknown = object.keys.filter({ !read.contains($0) }).sorted().first {
            throw SpecError(field(unknown), "unknown field")
        }
    }
}

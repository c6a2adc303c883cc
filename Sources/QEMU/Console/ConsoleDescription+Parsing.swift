/// Reading a description back, checked: what a console policy hook returns is taken only if it
/// is one whole, valid description, and a refusal names the field.
extension ConsoleDescription {
    /// The ports a description may name.
    public static let ports = 1...65535

    /// Reads a description from a JSON object: a known `kind`, the fields that kind needs, each
    /// of the right type (ports integers in 1-65535), and no other field.
    public static func parse(_ json: JSONValue) throws(SpecError) -> ConsoleDescription {
        var r = try FieldReader(json, path: "")
        let kindText = try r.requiredString("kind")
        guard let kind = ConsoleKind(rawValue: kindText) else {
            throw SpecError(
                "kind",
                "\"\(kindText)\" is not a console kind (\(ConsoleKind.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        // Another kind's field is refused by name: mixing kinds is the likely mistake.
        for key in (json.objectValue ?? [:]).keys.sorted() where key != "kind" && !kind.fields.contains(key) {
            let owners = ConsoleKind.allCases.filter { $0.fields.contains(key) }.map(\.rawValue)
            throw SpecError(
                key,
                owners.isEmpty
                    ? "unknown field (kind \(kind.rawValue) has \(kind.fields.joined(separator: ", ")))"
                    : "kind \(kind.rawValue) has no \(key) (only \(owners.joined(separator: ", ")) has)")
        }
        let description: ConsoleDescription
        switch kind {
        case .ssh:
            description = .ssh(
                host: try r.requiredString("host"), port: try port(&r, "port"), user: try r.requiredString("user"),
                command: try command(&r))
        case .vnc:
            let display = try r.int("display")
            guard let display else { throw SpecError("display", "a value is required") }
            guard display >= 0 else { throw SpecError("display", "\(display) is not a display number (0 or more)") }
            description = .vnc(host: try r.requiredString("host"), port: try port(&r, "port"), display: display)
        case .spice:
            let tlsPort = r.value("tls_port") == nil ? nil : try port(&r, "tls_port")
            description = .spice(host: try r.requiredString("host"), port: try port(&r, "port"), tlsPort: tlsPort)
        case .message:
            description = .message(try r.requiredString("message"))
        }
        try r.finish()
        return description
    }

    private static func port(_ r: inout FieldReader, _ key: String) throws(SpecError) -> Int {
        // FieldReader.int takes an integral float too (Lua's 5901.0); a string never.
        guard let port = try r.int(key) else { throw SpecError(key, "a value is required") }
        guard ports.contains(port) else { throw SpecError(key, "\(port) is not a port (1-65535)") }
        return port
    }

    private static func command(_ r: inout FieldReader) throws(SpecError) -> [String] {
        guard let value = r.value("command") else { throw SpecError("command", "a value is required") }
        // An empty Lua table has no array form: it arrives as an empty object.
        let elements = value == .object([:]) ? [] : value.arrayValue
        guard let elements else { throw SpecError("command", "expected an array of strings, got \(value.kind)") }
        guard !elements.isEmpty else { throw SpecError("command", "an argv of at least one string is required") }
        var argv: [String] = []
        for (index, element) in elements.enumerated() {
            guard let word = element.stringValue else {
                // Counted from 1, as the Lua hooks that return descriptions count.
                throw SpecError("command[\(index + 1)]", "expected a string, got \(element.kind)")
            }
            argv.append(word)
        }
        return argv
    }
}

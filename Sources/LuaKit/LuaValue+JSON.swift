extension LuaValue {
    /// The value as JSON text, keys sorted, integers and floats told apart (`1` and `1.0`).
    ///
    /// Refuses what JSON cannot carry without loss (a string that is not UTF-8, an infinite or
    /// NaN float) with a conversion error naming where it is. A function or coroutine shown with
    /// ``OpaquePolicy/describe`` becomes the string `"<function>"`.
    public func json(pretty: Bool = true) throws(LuaError) -> String {
        var out = ""
        try write(into: &out, pretty: pretty, indent: 0, path: "value")
        return out
    }

    private func write(into out: inout String, pretty: Bool, indent: Int, path: String) throws(LuaError) {
        switch self {
        case .nil: out += "null"
        case .boolean(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .number(let d):
            guard d.isFinite else { throw LuaError(.conversion, "\(path): \(d) has no JSON form") }
            out += d.description
        case .string(let s): LuaValue.quote(s, into: &out)
        case .bytes: throw LuaError(.conversion, "\(path): a string that is not valid UTF-8 has no JSON form")
        case .opaque(let kind): LuaValue.quote("<\(kind)>", into: &out)
        case .array(let elements):
            guard !elements.isEmpty else {
                out += "[]"
                return
            }
            out += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { out += "," }
                LuaValue.newline(&out, pretty, indent + 1)
                try element.write(into: &out, pretty: pretty, indent: indent + 1, path: path + "[\(offset + 1)]")
            }
            LuaValue.newline(&out, pretty, indent)
            out += "]"
        case .map(let entries):
            guard !entries.isEmpty else {
                out += "{}"
                return
            }
            out += "{"
            for (offset, (key, element)) in entries.sorted(by: { $0.key < $1.key }).enumerated() {
                if offset > 0 { out += "," }
                LuaValue.newline(&out, pretty, indent + 1)
                LuaValue.quote(key.description, into: &out)
                out += pretty ? ": " : ":"
                try element.write(into: &out, pretty: pretty, indent: indent + 1, path: path + key.pathComponent())
            }
            LuaValue.newline(&out, pretty, indent)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ pretty: Bool, _ indent: Int) {
        guard pretty else { return }
        out += "\n" + String(repeating: "  ", count: indent)
    }

    private static func quote(_ string: String, into out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// Lua source text for values, as a person would paste it into a Lua file.
public enum LuaQuoting {
    /// `text` as a double-quoted Lua string literal that reads back as the same bytes: `"` and
    /// `\` escaped, control bytes and DEL as `\ddd` (three digits, so a digit after one is not
    /// read into it); the rest, UTF-8 included, as it is.
    public static func string(_ text: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case UInt8(ascii: "\n"): out += Array("\\n".utf8)
            case UInt8(ascii: "\t"): out += Array("\\t".utf8)
            case 0..<0x20, 0x7F:
                let digits = String(byte)
                out += Array(("\\" + String(repeating: "0", count: 3 - digits.count) + digits).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}

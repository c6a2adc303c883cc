/// Ethernet addresses as text (`52:54:00:12:34:56`) and as the six bytes netlink carries.
enum MACAddress {
    /// The bytes of `text`: exactly six pairs of hex digits separated by `:`, either case; nil
    /// otherwise (no `+`/`-` signs, no single digits, no other separators).
    static func bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count == 2, part.allSatisfy(\.isHexDigit), part.allSatisfy(\.isASCII),
                let byte = UInt8(part, radix: 16)
            else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    /// Lower-case text of six bytes; nil for any other length (a tunnel's 4- or 16-byte address
    /// is not a MAC). `lo` reports six zero bytes, kept as `00:00:00:00:00:00`.
    static func text(_ bytes: some Collection<UInt8>) -> String? {
        guard bytes.count == 6 else { return nil }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

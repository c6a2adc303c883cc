/// MAC address checks.
public enum MACAddress {
    /// `aa:00:00:12:34:56` in lower case, or `nil` when `text` is not six hex pairs joined by `:`.
    public static func normalise(_ text: String) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return text.lowercased()
    }

    /// Why the (normalised) address cannot be a NIC's, or `nil`.
    static func unicastProblem(_ mac: String) -> String? {
        guard let first = UInt8(mac.prefix(2), radix: 16) else { return "\"\(mac)\" is not a MAC address" }
        if first & 1 == 1 { return "\"\(mac)\" is a multicast address" }
        if mac == "00:00:00:00:00:00" { return "\"\(mac)\" is the zero address" }
        return nil
    }
}

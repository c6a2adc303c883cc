#if canImport(Glibc)
import Glibc
#endif

/// IPv4 and IPv6 addresses as text and as the bytes netlink carries.
enum IPAddress {
    /// The address bytes (4 or 16) of `text`, or nil.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// `192.0.2.5/32` (or a bare address, read as a host prefix) as bytes and prefix length.
    static func prefix(_ text: String) -> ([UInt8], Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        guard parts.count == 2 else { return (address, bits) }
        guard let length = Int(parts[1]), (0...bits).contains(length) else { return nil }
        return (address, length)
    }

    /// The text of 4 or 16 address bytes.
    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        return bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
                ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        }
    }
}

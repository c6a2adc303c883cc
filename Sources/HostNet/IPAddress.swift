#if canImport(Glibc)
import Glibc
#endif

/// IPv4 and IPv6 addresses as text and as the bytes netlink carries.
///
/// Text is read with `inet_pton` and written with `inet_ntop`, as `ip` reads and the kernel's
/// listings write it: `010.099.000.001` is no address (inet_pton refuses leading zeros), and
/// `2001:DB8:0:0::5` is written `2001:db8::5`.
public enum IPAddress {
    /// The address bytes (4 or 16) of `text`, or nil.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// `192.0.2.5/32` (or a bare address, read as a host prefix) as bytes and prefix length. The
    /// length is decimal digits only (`ip` would read `+24` or ` 24` too; a hook never means them).
    static func prefix(_ text: String) -> ([UInt8], Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        guard parts.count == 2 else { return (address, bits) }
        guard (1...3).contains(parts[1].utf8.count), parts[1].utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let length = Int(parts[1]), (0...bits).contains(length)
        else { return nil }
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

    /// `address` or `address/length` as the kernel lists it (`2001:DB8:0:0::5/64` is
    /// `2001:db8::5/64`), or nil when it is neither. The length stays as given, host bits and all
    /// (whether those are refused, cleared or kept depends on what the text is used for), and a
    /// bare address gets none: the caller knows whether it means a host prefix.
    ///
    /// Public so that the hook layer compares what a hook wrote with what a host lists in one
    /// spelling.
    public static func canonical(_ text: String) -> String? {
        guard let (address, length) = prefix(text) else { return nil }
        return text.contains("/") ? "\(self.text(address))/\(length)" : self.text(address)
    }

    /// `bytes` with every bit beyond the first `length` cleared: the network of a prefix.
    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { offset, byte in
            let kept = min(max(length - offset * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(UInt8(0xFF) >> kept)
        }
    }
}

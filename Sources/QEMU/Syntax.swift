#if canImport(Glibc)
import Glibc
#endif

/// The syntax checks parameters and specs share. Each returns `nil` when the value is fine,
/// else the reason, worded to follow the field name.
enum Syntax {
    static func isIPv4(_ s: String) -> Bool {
        var addr = in_addr()
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) }
            && inet_pton(AF_INET, s, &addr) == 1
    }

    static func isIPv6(_ s: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, s, &addr) == 1
    }

    static func isIP(_ s: String) -> Bool { isIPv4(s) || isIPv6(s) }

    /// A Linux interface name: 1-15 bytes, no `/`, no whitespace, not `.` or `..`.
    static func isInterfaceName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 15 && s != "." && s != ".."
            && s.unicodeScalars.allSatisfy {
                $0.isASCII && $0.value > 0x20 && $0 != "/" && $0 != ":" && $0.value != 0x7f
            }
    }

    static func isURL(_ s: String) -> Bool {
        for scheme in ["http://", "https://", "ftp://", "ftps://"] where s.hasPrefix(scheme) {
            return s.count > scheme.count
        }
        return false
    }

    /// An absolute path without `.` or `..` components or empty ones (Ganeti's normalised path).
    static func absolutePath(_ value: HVValue) -> String? {
        guard case .string(let s) = value else { return nil }
        return isNormalisedAbsolutePath(s) ? nil : "\"\(s)\" is not a normalised absolute path"
    }

    static func isNormalisedAbsolutePath(_ s: String) -> Bool {
        guard s.hasPrefix("/"), !s.contains("\0") else { return false }
        if s == "/" { return true }
        let parts = s.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        return parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    static func absolutePathOrURL(_ value: HVValue) -> String? {
        guard case .string(let s) = value else { return nil }
        return isNormalisedAbsolutePath(s) || isURL(s)
            ? nil : "\"\(s)\" is neither a normalised absolute path nor a URL"
    }

    static func range(_ bounds: ClosedRange<Int>) -> @Sendable (HVValue) -> String? {
        { value in
            guard case .int(let i) = value, !bounds.contains(i) else { return nil }
            return "\(i) is outside \(bounds.lowerBound)..\(bounds.upperBound)"
        }
    }

    /// Ganeti's network port check: 0 < port < 65535.
    static let port: @Sendable (HVValue) -> String? = range(1...65534)
    static let nonNegative: @Sendable (HVValue) -> String? = { value in
        guard case .int(let i) = value, i < 0 else { return nil }
        return "\(i) is negative"
    }

    static let serialSpeeds = [
        75, 110, 300, 600, 1200, 1800, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600, 115200, 230400, 345600,
        460800,
    ]

    /// Ganeti's multi-CPU mask: `:`-separated masks, each `all` or a list of CPUs and ranges.
    static let cpuMask: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        for mask in s.split(separator: ":", omittingEmptySubsequences: false) {
            if mask == "all" { continue }
            for item in mask.split(separator: ",", omittingEmptySubsequences: false) {
                let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count),
                    bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil }),
                    bounds.count == 1 || Int(bounds[0])! <= Int(bounds[1])!
                else { return "\"\(s)\" is not a CPU mask (like 0-2,4 or all, several joined by ':')" }
            }
        }
        return nil
    }

    /// A VNC bind: an IP address, an interface name, or an absolute folder for a unix socket.
    static let vncBind: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        return isIP(s) || isNormalisedAbsolutePath(s) || isInterfaceName(s)
            ? nil : "\"\(s)\" is not an IP address, an interface name or an absolute path"
    }

    static let spiceBind: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        return isIP(s) || isInterfaceName(s) ? nil : "\"\(s)\" is not an IP address or an interface name"
    }

    /// A word that becomes part of one qemu option value: no `,` (qemu's separator) and no
    /// control characters.
    static let optionWord: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        return s.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && $0 != "," })
            ? nil : "\"\(s)\" must be one word without commas"
    }

    static let commaList: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        return s.split(separator: ",", omittingEmptySubsequences: false).allSatisfy({
            !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f }
        }) ? nil : "\"\(s)\" is not a comma-separated list of names"
    }

    static let colonList: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        return s.split(separator: ":", omittingEmptySubsequences: false).allSatisfy({
            !$0.isEmpty
                && $0.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || $0 == "-" || $0 == "_" || ("0"..."9").contains($0))
                }
        }) ? nil : "\"\(s)\" is not a ':'-separated list of capability names"
    }

    static let shellWords: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        if case .failure(let error) = ShellWords.split(s) { return "does not split into words: \(error.reason)" }
        return nil
    }
}

extension Syntax {
    /// One argv word: no whitespace or control characters (commas allowed: `-cpu host,+x2apic`).
    static let optionWordAllowingCommas: @Sendable (HVValue) -> String? = { value in
        guard case .string(let s) = value else { return nil }
        return s.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f })
            ? nil : "\"\(s)\" must be one word"
    }

    /// A value that goes into a space-separated kernel command line: no whitespace.
    static let optionWordOrSpaceFree: @Sendable (HVValue) -> String? = optionWordAllowingCommas
}

#if canImport(Glibc)
import Glibc
#endif

/// Where a migration target's qemu listens and a source sends: a numeric IPv4 or IPv6 address
/// and a TCP port, `10.78.0.2:8102` or `[fd00::2]:8102`.
public struct MigrationAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// Reads `ADDRESS:PORT`; the refusal names `field` (`--listen`, `target`).
    public init(_ text: String, field: String) throws(InstanceError) {
        func refuse(_ reason: String) -> InstanceError {
            InstanceError(.invalidSpec, "", "migrate", step: "reading \(field)", "\"\(text)\": \(reason)")
        }
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw refuse("expected [IPV6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw refuse("expected ADDRESS:PORT") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw refuse("the port must be a number from 1 to 65535")
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        let v4 = inet_pton(AF_INET, String(host), &buffer) == 1
        let v6 = !v4 && inet_pton(AF_INET6, String(host), &buffer) == 1
        guard v4 || v6 else { throw refuse("\"\(host)\" is not a numeric IPv4 or IPv6 address") }
        if v6 { host = "[\(host)]" }
        self.host = String(host)
        self.port = port
    }

    /// qemu's URI for it (`-incoming` and `migrate`).
    public var uri: String { "tcp:\(host):\(port)" }
    public var description: String { "\(host):\(port)" }
}

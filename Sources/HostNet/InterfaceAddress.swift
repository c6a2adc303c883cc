/// An address of a link with its prefix length, as `ip address` shows it: `192.0.2.1/24 dev tap0`.
///
/// Hosts list it in the kernel's spelling (``IPAddress/canonical(_:)``), so a listed address
/// compares equal to the one a node has. Written without a length, an address is a host address
/// (/32, /128), as `ip address add` reads it.
public struct InterfaceAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The address and its prefix length: `192.0.2.1/24`, `2001:db8::1/64`. The length says which
    /// subnet the link is on (the kernel routes it there); the address is the host's own.
    public var address: String
    /// The link the address is on.
    public var device: String

    /// An address of `device`; see ``address`` for the form.
    public init(address: String, device: String) {
        self.address = address
        self.device = device
    }

    /// `192.0.2.1/24 dev tap0`, as `ip address add` takes it.
    public var description: String { "\(address) dev \(device)" }

    /// Whether ``HostNetwork/addresses(of:)`` leaves out an address of this form, whatever made
    /// it: the link-local /64 the kernel makes on every link with IPv6 (in fe80::/10, its
    /// interface identifier the link's MAC as EUI-64, with `ff:fe` in the middle: the kernel's
    /// default `addr_gen_mode`), and the host-scope ones: IPv4 127.0.0.0/8 (the scope `ip` and
    /// ``LinuxHost`` give them, the kernel's own `127.0.0.1/8` on `lo`) and IPv6 `::1` (the
    /// kernel gives it host scope). A hook's own link-local address (`fe80::1/64`, the gateway a
    /// routed guest talks BGP to) is listed, and so undone.
    static func isUnlisted(_ bytes: [UInt8], length: Int) -> Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        let kernelLinkLocal =
            bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 && length == 64 && bytes[11] == 0xFF && bytes[12] == 0xFE
        return kernelLinkLocal || bytes == [UInt8](repeating: 0, count: 15) + [1]
    }
}

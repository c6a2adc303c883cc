/// A proxy neighbour entry, as `ip neighbour add proxy ADDR dev DEV` makes it: the host answers
/// ARP (IPv4) or neighbour solicitations (IPv6) for `address` arriving on `device`, so a guest's
/// address on a routed link is reachable from that link's side.
///
/// The kernel answers from these entries where the device forwards (IPv6 also needs `proxy_ndp`
/// on), without the blanket `proxy_arp`. Hosts list the address in the kernel's spelling
/// (``IPAddress/canonical(_:)``).
public struct ProxyNeighbour: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The address answered for, without a prefix length: `192.0.2.5`, `2001:db8::5`.
    public var address: String
    /// The link the solicitations arrive on.
    public var device: String

    /// An entry for `address` on `device`.
    public init(address: String, device: String) {
        self.address = address
        self.device = device
    }

    /// `proxy 2001:db8::5 dev tap0`, as `ip neighbour add` takes it.
    public var description: String { "proxy \(address) dev \(device)" }
}

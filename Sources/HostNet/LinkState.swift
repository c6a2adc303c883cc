/// A network link as the kernel reports it.
public struct LinkState: Sendable, Hashable, Codable {
    public var name: String
    public var index: Int32
    /// Administratively up (IFF_UP).
    public var up: Bool
    public var mtu: Int
    /// The hardware address, lower case `aa:bb:...`, or nil for links without one.
    public var mac: String?
    /// The name of the link's master (its bridge), if any.
    public var master: String?
    /// The link kind from IFLA_INFO_KIND (`bridge`, `tun`, `veth`, ...), if the kernel says.
    public var kind: String?
    /// For bridges: whether VLAN filtering is on.
    public var vlanFiltering: Bool

    public init(
        name: String, index: Int32, up: Bool, mtu: Int, mac: String?, master: String?, kind: String?,
        vlanFiltering: Bool = false
    ) {
        self.name = name
        self.index = index
        self.up = up
        self.mtu = mtu
        self.mac = mac
        self.master = master
        self.kind = kind
        self.vlanFiltering = vlanFiltering
    }
}

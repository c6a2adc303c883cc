/// The host networking operations hooks use, behind one protocol so the same hook code runs
/// against the real kernel (``LinuxHost``, netlink and ioctl, no fork), a dry run that records
/// without changing anything, and an in-memory fake for hook tests.
///
/// Reads return the current state (what a journal records as "replaced"); writes change one
/// thing each. Names are interface names; a missing link is ``HostNetError/Code/notFound``.
public protocol HostNetwork: AnyObject {
    /// The network namespace and boot this host acts on (see ``NamespaceIdentity``): a link's
    /// index identifies one link only together with it.
    func namespaceIdentity() -> String
    /// The routing table `name` means here: a name defined for `ip` (`rt_tables`), or a number.
    /// An unknown name is ``HostNetError/Code/notFound`` saying where it was looked for.
    func routingTable(_ name: String) throws(HostNetError) -> Int

    /// Every link.
    func links() throws(HostNetError) -> [LinkState]
    /// The link of that name, or nil.
    func link(_ name: String) throws(HostNetError) -> LinkState?
    func setUp(_ name: String, _ up: Bool) throws(HostNetError)
    func setMTU(_ name: String, _ mtu: Int) throws(HostNetError)
    func setMAC(_ name: String, _ mac: String) throws(HostNetError)
    /// Enslaves `name` to `master` (a bridge), or releases it with nil.
    func setMaster(_ name: String, _ master: String?) throws(HostNetError)
    /// Makes several changes to one link at once, in the kernel's order: MAC, MTU, up/down,
    /// master. A refusal part way leaves the earlier ones made.
    func changeLink(_ name: String, _ change: LinkChange) throws(HostNetError)

    /// The VLAN entries of a bridge port.
    func bridgeVLANs(_ name: String) throws(HostNetError) -> [BridgeVLAN]
    func addBridgeVLAN(_ name: String, _ vlan: BridgeVLAN) throws(HostNetError)
    func deleteBridgeVLAN(_ name: String, vid: Int) throws(HostNetError)

    /// Routes of one table (or all tables with nil), IPv4 and IPv6.
    func routes(table: Int?) throws(HostNetError) -> [Route]
    /// Adds the route or replaces the one with the same destination and table.
    func replaceRoute(_ route: Route) throws(HostNetError)
    func deleteRoute(_ route: Route) throws(HostNetError)

    /// The addresses of the link `name` (of every link with nil), IPv4 and IPv6, in the kernel's
    /// spelling. Left out, because no hook made them: the IPv6 link-local /64 the kernel gives
    /// every link with IPv6 (fe80:: with the MAC's EUI-64), and host-scope addresses
    /// (loopback's `127.0.0.1/8`, `::1`). What has their form is left out too.
    func addresses(of name: String?) throws(HostNetError) -> [InterfaceAddress]
    /// Adds an address (`ip address add`); one that is there is refused (`.kernel`, EEXIST). For
    /// IPv4 that is the same address with the same length (another length is another address);
    /// for IPv6 the same address with any length. The link need not be up.
    func addAddress(_ address: InterfaceAddress) throws(HostNetError)
    /// Adds an address, or keeps it if it is there (`ip address replace`): what an `up` run twice
    /// calls. An IPv6 address there with another length keeps that length.
    func replaceAddress(_ address: InterfaceAddress) throws(HostNetError)
    /// Removes an address (`ip address del`), the length included; one that is not there is
    /// `.notFound`.
    func deleteAddress(_ address: InterfaceAddress) throws(HostNetError)

    /// Every proxy neighbour entry, IPv4 and IPv6 (`ip neighbour show proxy`).
    func proxyNeighbours() throws(HostNetError) -> [ProxyNeighbour]
    /// Adds a proxy entry (`ip neighbour add proxy`); one that is there is refused (`.kernel`,
    /// EEXIST). The link need not be up, but the kernel drops its entries when it goes down.
    func addProxyNeighbour(_ neighbour: ProxyNeighbour) throws(HostNetError)
    /// Removes a proxy entry; one that is not there is `.notFound`.
    func deleteProxyNeighbour(_ neighbour: ProxyNeighbour) throws(HostNetError)

    /// Every policy routing rule, IPv4 and IPv6.
    func rules() throws(HostNetError) -> [Rule]
    func addRule(_ rule: Rule) throws(HostNetError)
    func deleteRule(_ rule: Rule) throws(HostNetError)

    /// A sysctl under `/proc/sys/net`, by its path below `/proc/sys` (`net/ipv4/conf/tap0/proxy_arp`);
    /// nil when it does not exist.
    func sysctl(_ key: String) throws(HostNetError) -> String?
    func setSysctl(_ key: String, _ value: String) throws(HostNetError)
}

extension HostNetwork {
    /// One change after the other, in the kernel's order, for hosts without a batched request.
    public func changeLink(_ name: String, _ change: LinkChange) throws(HostNetError) {
        if let mac = change.mac { try setMAC(name, mac) }
        if let mtu = change.mtu { try setMTU(name, mtu) }
        if let up = change.up { try setUp(name, up) }
        switch change.master {
        case .bridge(let bridge, _): try setMaster(name, bridge)
        case .none?: try setMaster(name, nil)
        case nil: break
        }
    }
}

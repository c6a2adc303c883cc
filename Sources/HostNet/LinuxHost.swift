import SystemPackage

/// The real kernel behind ``HostNetwork``: rtnetlink for links, bridge VLANs, routes, rules,
/// addresses and proxy neighbours, `/proc/sys/net` for sysctls. No process is spawned, and names
/// are resolved through netlink (never `/sys`, which shows the namespace it was mounted in, not
/// the caller's).
///
/// Namespaces: the netlink socket is opened by `init` and stays in the network namespace of the
/// thread that created the host; `/proc/sys/net` is opened on each call and follows the *calling*
/// thread's namespace. Create and use a host on the same thread (or threads in the same
/// namespace). Not thread-safe: one call at a time.
///
/// Each write is one netlink round trip (the kernel looks the link up by name itself), plus one
/// look-up where a second link is named (a master) or an index is needed (routes, bridge VLANs,
/// addresses, proxy neighbours); ``changeLink(_:_:)`` makes several changes to a link in one.
public final class LinuxHost: HostNetwork {
    let netlink: NetlinkSocket
    /// Where routing table names are read from (tests point it at their own folders).
    public var tableFiles = RoutingTableFiles()

    /// Opens the host's netlink socket in the calling thread's network namespace.
    /// - Throws: ``HostNetError`` with code `.kernel` when the socket cannot be opened.
    public init() throws(HostNetError) {
        netlink = try NetlinkSocket()
        identity = NamespaceIdentity.make(cookie: netlink.namespaceCookie())
    }

    /// The socket's namespace never changes, so its identity is read once, where it was opened.
    private let identity: String

    /// The network namespace this host acts on, with the boot: see ``NamespaceIdentity``.
    public func namespaceIdentity() -> String { identity }

    /// A routing table by `ip`'s names or a number; the files are read on each call, as `ip`
    /// reads them on each run.
    public func routingTable(_ name: String) throws(HostNetError) -> Int {
        try tableFiles.load().table(name, searched: tableFiles.searched)
    }

    // MARK: - Links

    /// Every link of the namespace (one RTM_GETLINK dump), masters resolved to names.
    public func links() throws(HostNetError) -> [LinkState] {
        var message = NetlinkMessage(
            type: NL.getLink, flags: NL.request | NL.dump, header: NetlinkMessage.linkHeader())
        message.attribute(NL.iflaExtMask, uint32: NL.extFilterSkipStats)
        let parsed = try netlink.dump(message, "list links").compactMap {
            $0.type == NL.newLink ? LinkMessage($0.payload) : nil
        }
        let names = Dictionary(parsed.map { ($0.state.index, $0.state.name) }, uniquingKeysWith: { first, _ in first })
        return parsed.map { link in
            var state = link.state
            state.master = link.masterIndex > 0 ? names[link.masterIndex] : nil
            return state
        }
    }

    /// The link of that name, or nil. An impossible name is ``HostNetError/Code/invalid``.
    public func link(_ name: String) throws(HostNetError) -> LinkState? {
        let operation = "look up link \(name)"
        try InterfaceName.check(name, operation)
        guard let link = try fetchLink(name: name, operation) else { return nil }
        var state = link.state
        if link.masterIndex > 0 { state.master = try fetchLink(index: link.masterIndex, operation)?.state.name }
        return state
    }

    /// Sets IFF_UP (`ip link set NAME up|down`).
    public func setUp(_ name: String, _ up: Bool) throws(HostNetError) { try changeLink(name, LinkChange(up: up)) }

    /// Sets the MTU; the kernel checks it against the device's limits (`.kernel`, EINVAL).
    public func setMTU(_ name: String, _ mtu: Int) throws(HostNetError) { try changeLink(name, LinkChange(mtu: mtu)) }

    /// Sets the hardware address; `mac` is six pairs of hex digits (`52:54:00:12:34:56`).
    public func setMAC(_ name: String, _ mac: String) throws(HostNetError) {
        try changeLink(name, LinkChange(mac: mac))
    }

    /// Enslaves `name` to `master`, or releases it with nil. A master that does not exist is
    /// `.notFound`; one that cannot take ports is the kernel's refusal (`.kernel`, EOPNOTSUPP).
    public func setMaster(_ name: String, _ master: String?) throws(HostNetError) {
        try changeLink(name, LinkChange(master: master.map { .bridge($0) } ?? LinkChange.Master.none))
    }

    /// Every field of `change` in one RTM_SETLINK addressed by name (ifi_index 0 and
    /// IFLA_IFNAME: the kernel looks the link up, and does not read the name as a rename). A
    /// master is IFLA_MASTER with its index (one look-up), or 0 to release.
    public func changeLink(_ name: String, _ change: LinkChange) throws(HostNetError) {
        let operation = change.description(of: name)
        try InterfaceName.check(name, operation)
        var message = NetlinkMessage(
            type: NL.setLink, flags: NL.request | NL.ack,
            header: NetlinkMessage.linkHeader(
                flags: change.up == true ? NL.iffUp : 0, change: change.up == nil ? 0 : NL.iffUp))
        message.attribute(NL.iflaName, string: name)
        if let mac = change.mac {
            guard let bytes = MACAddress.bytes(mac) else {
                throw HostNetError(.invalid, operation, detail: "not a MAC address (six hex pairs: 52:54:00:12:34:56)")
            }
            message.attribute(NL.iflaAddress, bytes)
        }
        if let mtu = change.mtu {
            guard let value = UInt32(exactly: mtu), value <= Int32.max else {
                throw HostNetError(.invalid, operation, detail: "\(mtu) is not an MTU")
            }
            message.attribute(NL.iflaMTU, uint32: value)
        }
        switch change.master {
        case .bridge(let master, let known):
            var index = known ?? 0
            if known == nil { index = try self.index(of: master, operation) }
            message.attribute(NL.iflaMaster, uint32: UInt32(bitPattern: index))
        case .none?: message.attribute(NL.iflaMaster, uint32: 0)  // IFLA_MASTER 0 releases the link
        case nil: break
        }
        do {
            try netlink.request(message, operation)
        } catch let error where error.errno == .operationNotSupportedByDevice {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
    }

    // MARK: - Helpers shared by the extensions

    /// One RTM_GETLINK by name or index; nil when there is no such link.
    func fetchLink(name: String? = nil, index: Int32 = 0, _ operation: String) throws(HostNetError) -> LinkMessage? {
        var message = NetlinkMessage(
            type: NL.getLink, flags: NL.request, header: NetlinkMessage.linkHeader(index: index))
        if let name { message.attribute(NL.iflaName, string: name) }
        message.attribute(NL.iflaExtMask, uint32: NL.extFilterSkipStats)
        do {
            guard let reply = try netlink.get(message, operation), reply.type == NL.newLink else { return nil }
            return LinkMessage(reply.payload)
        } catch let error where error.errno == .operationNotSupportedByDevice {
            return nil
        }
    }

    /// The index of the link `name`, or `.notFound` naming it.
    func index(of name: String, _ operation: String) throws(HostNetError) -> Int32 {
        try InterfaceName.check(name, operation)
        guard let link = try fetchLink(name: name, operation) else {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
        return link.state.index
    }
}

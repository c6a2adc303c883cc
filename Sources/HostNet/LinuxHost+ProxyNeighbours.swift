import SystemPackage

/// Proxy neighbour entries over rtnetlink (RTM_GETNEIGH / RTM_NEWNEIGH / RTM_DELNEIGH with
/// NTF_PROXY), IPv4 and IPv6, as `ip neighbour show|add|del proxy` does.
extension LinuxHost {
    /// Every proxy entry, IPv4 then IPv6, from one RTM_GETNEIGH dump whose ndm_flags is NTF_PROXY
    /// (the kernel then dumps its proxy tables instead of its neighbour caches). Entries without
    /// a device (which `ip` cannot make) are left out.
    public func proxyNeighbours() throws(HostNetError) -> [ProxyNeighbour] {
        let names = Dictionary(try links().map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try proxyNeighbours(names, "list proxy neighbours")
    }

    /// The proxy entries of the links in `names`.
    private func proxyNeighbours(
        _ names: [Int32: String], _ operation: String
    ) throws(HostNetError) -> [ProxyNeighbour] {
        let message = NetlinkMessage(
            type: NL.getNeighbour, flags: NL.request | NL.dump,
            header: NetlinkMessage.neighbourHeader(family: NL.unspec, flags: NL.neighbourProxy))
        return try netlink.dump(message, operation).compactMap {
            $0.type == NL.newNeighbour ? Self.proxyNeighbour($0.payload, names) : nil
        }
    }

    /// A listed proxy entry from an RTM_NEWNEIGH payload (`ndmsg` and attributes), or nil for a
    /// neighbour cache entry, an entry without a device or of a link not in `names`.
    static func proxyNeighbour(_ payload: ArraySlice<UInt8>, _ names: [Int32: String]) -> ProxyNeighbour? {
        guard payload.count >= 12 else { return nil }
        let header = Array(payload.prefix(12))
        let size = header[0] == NL.inet ? 4 : header[0] == NL.inet6 ? 16 : 0
        guard size > 0, header[10] & NL.neighbourProxy != 0,
            let device = names[NetlinkMessage.get(payload, 4, as: Int32.self)],
            let address = NetlinkAttributes(payload.dropFirst(12))[NL.ndaDst], address.count == size
        else { return nil }
        return ProxyNeighbour(address: IPAddress.text(Array(address)), device: device)
    }

    /// `ip neighbour add proxy ADDR dev DEV`. An entry that is there is `.kernel` (EEXIST), as with
    /// ``FakeHost``: the kernel itself takes a second add of it without a word (it only updates
    /// the entry's flags), so the link's entries are looked at first, one more dump per add.
    public func addProxyNeighbour(_ neighbour: ProxyNeighbour) throws(HostNetError) {
        let operation = HostCall.neighAdd(neighbour).description
        let (message, index, address) = try neighbourMessage(
            neighbour, type: NL.newNeighbour, flags: NL.create | NL.exclusive, operation)
        let existing = ProxyNeighbour(address: address, device: neighbour.device)
        if try proxyNeighbours([index: neighbour.device], operation).contains(existing) {
            throw HostNetError(.kernel, operation, detail: "\(existing) exists", errno: .fileExists)
        }
        try netlink.request(message, operation)
    }

    /// `ip neighbour del proxy ADDR dev DEV`; an entry that is not there is `.notFound`.
    public func deleteProxyNeighbour(_ neighbour: ProxyNeighbour) throws(HostNetError) {
        let operation = HostCall.neighDel(neighbour).description
        do {
            try netlink.request(
                try neighbourMessage(neighbour, type: NL.delNeighbour, flags: 0, operation).0, operation)
        } catch let error where error.errno == .noSuchFileOrDirectory {
            throw HostNetError(.notFound, operation, detail: "no such proxy neighbour", errno: error.errno)
        }
    }

    /// An RTM_NEWNEIGH or RTM_DELNEIGH for a proxy entry (NTF_PROXY, NUD_PERMANENT as `ip`
    /// sends, NDA_DST), with the link's index (one look-up) and the address's canonical text.
    private func neighbourMessage(
        _ neighbour: ProxyNeighbour, type: UInt16, flags: UInt16, _ operation: String
    ) throws(HostNetError) -> (NetlinkMessage, Int32, String) {
        guard let bytes = IPAddress.bytes(neighbour.address) else {
            throw HostNetError(.invalid, operation, detail: "\(neighbour.address) is not an address")
        }
        let index = try index(of: neighbour.device, operation)
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack | flags,
            header: NetlinkMessage.neighbourHeader(
                family: bytes.count == 4 ? NL.inet : NL.inet6, index: index, state: NL.neighbourPermanent,
                flags: NL.neighbourProxy))
        message.attribute(NL.ndaDst, bytes)
        return (message, index, IPAddress.text(bytes))
    }
}

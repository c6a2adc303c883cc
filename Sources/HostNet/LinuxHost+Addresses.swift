import SystemPackage

/// Interface addresses over rtnetlink (RTM_GETADDR / RTM_NEWADDR / RTM_DELADDR), IPv4 and IPv6,
/// as `ip address show|add|replace|del` does.
extension LinuxHost {
    /// The addresses of one link (every link's with nil) from one RTM_GETADDR dump of both
    /// families: IPv4 then IPv6, each in the kernel's order. A link that does not exist is
    /// `.notFound`.
    ///
    /// Left out, besides what ``HostNetwork/addresses(of:)`` leaves out (host scope, the IPv6
    /// link-local /64s): point-to-point addresses (IFA_LOCAL with another IFA_ADDRESS, the
    /// peer), which an ``InterfaceAddress`` cannot describe.
    public func addresses(of name: String?) throws(HostNetError) -> [InterfaceAddress] {
        let operation = name.map { "list addresses of \($0)" } ?? "list addresses"
        let names: [Int32: String]
        if let name {
            names = [try index(of: name, operation): name]
        } else {
            names = Dictionary(try links().map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        }
        // The kernel ignores ifa_index in a dump request (without strict checking), so filter here.
        let message = NetlinkMessage(
            type: NL.getAddress, flags: NL.request | NL.dump, header: NetlinkMessage.addressHeader(family: NL.unspec))
        return try netlink.dump(message, operation).compactMap {
            $0.type == NL.newAddress ? Self.address($0.payload, names) : nil
        }
    }

    /// A listed address from an RTM_NEWADDR payload (`ifaddrmsg` and attributes), or nil for one
    /// that ``addresses(of:)`` leaves out or of a link not in `names`.
    static func address(_ payload: ArraySlice<UInt8>, _ names: [Int32: String]) -> InterfaceAddress? {
        guard payload.count >= 8 else { return nil }
        let header = Array(payload.prefix(8))
        let size = header[0] == NL.inet ? 4 : header[0] == NL.inet6 ? 16 : 0
        guard size > 0, header[3] != NL.scopeHost,
            let device = names[NetlinkMessage.get(payload, 4, as: Int32.self)]
        else { return nil }
        let attributes = NetlinkAttributes(payload.dropFirst(8))
        let local = attributes[NL.ifaLocal]
        let prefix = attributes[NL.ifaAddress]
        // IPv6 sends IFA_ADDRESS alone; IPv4 both, the same unless the second is a peer.
        if let local, let prefix, local != prefix { return nil }
        guard let address = (local ?? prefix).map(Array.init), address.count == size,
            !InterfaceAddress.isUnlisted(address, length: Int(header[1]))
        else { return nil }
        return InterfaceAddress(address: "\(IPAddress.text(address))/\(header[1])", device: device)
    }

    /// `ip address add ADDR dev DEV` (NLM_F_CREATE | NLM_F_EXCL): an address that is there is the
    /// kernel's refusal (`.kernel`, EEXIST); so is an IPv6 address on a link with `disable_ipv6`
    /// (EACCES).
    public func addAddress(_ address: InterfaceAddress) throws(HostNetError) {
        let operation = HostCall.addressAdd(address).description
        try netlink.request(
            try addressMessage(address, type: NL.newAddress, flags: NL.create | NL.exclusive, operation), operation)
    }

    /// `ip address replace ADDR dev DEV` (NLM_F_CREATE | NLM_F_REPLACE): adds the address, or
    /// keeps the one there (an IPv6 address keeps its length: the kernel does not change it).
    public func replaceAddress(_ address: InterfaceAddress) throws(HostNetError) {
        let operation = HostCall.addressReplace(address).description
        try netlink.request(
            try addressMessage(address, type: NL.newAddress, flags: NL.create | NL.replace, operation), operation)
    }

    /// `ip address del ADDR dev DEV`; an address that is not there with that length is
    /// `.notFound`. Deleting the first IPv4 address of a subnet deletes the others of that subnet
    /// on the link too, unless `promote_secondaries` is on: the kernel's rule.
    public func deleteAddress(_ address: InterfaceAddress) throws(HostNetError) {
        let operation = HostCall.addressDel(address).description
        do {
            try netlink.request(try addressMessage(address, type: NL.delAddress, flags: 0, operation), operation)
        } catch let error where error.errno == .addressNotAvailable {
            throw HostNetError(.notFound, operation, detail: "no such address", errno: error.errno)
        }
    }

    /// An RTM_NEWADDR or RTM_DELADDR for `address`: the link's index (one look-up), the scope `ip`
    /// gives (host for 127.0.0.0/8, global for other IPv4; the kernel sets IPv6 scopes from the
    /// address), and, as `ip` sends them, the address as both IFA_LOCAL and IFA_ADDRESS (no
    /// peer). An address without a length is a host address.
    private func addressMessage(
        _ address: InterfaceAddress, type: UInt16, flags: UInt16, _ operation: String
    ) throws(HostNetError) -> NetlinkMessage {
        guard let (bytes, length) = IPAddress.prefix(address.address) else {
            throw HostNetError(.invalid, operation, detail: "\(address.address) is not an address or address/length")
        }
        let index = try index(of: address.device, operation)
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack | flags,
            header: NetlinkMessage.addressHeader(
                family: bytes.count == 4 ? NL.inet : NL.inet6, prefixLength: UInt8(length),
                scope: bytes.count == 4 && bytes[0] == 127 ? NL.scopeHost : NL.scopeUniverse, index: index))
        message.attribute(NL.ifaLocal, bytes)
        message.attribute(NL.ifaAddress, bytes)
        return message
    }
}

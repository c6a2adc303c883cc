import SystemPackage

/// Bridge VLANs over rtnetlink with family AF_BRIDGE, as `bridge vlan add|del dev X vid V [pvid]
/// [untagged] master|self` does.
extension LinuxHost {
    /// The VLAN entries of a bridge port (or of a bridge itself), from an AF_BRIDGE link dump with
    /// RTEXT_FILTER_BRVLAN. Empty where the kernel has no bridge VLAN filtering (it reports none).
    public func bridgeVLANs(_ name: String) throws(HostNetError) -> [BridgeVLAN] {
        let operation = "list bridge vlans of \(name)"
        let index = try index(of: name, operation)
        var message = NetlinkMessage(
            type: NL.getLink, flags: NL.request | NL.dump, header: NetlinkMessage.linkHeader(family: NL.bridge))
        message.attribute(NL.iflaExtMask, uint32: NL.extFilterBridgeVLAN)
        var vlans: [Int: BridgeVLAN] = [:]
        // The dump has no per-link form (a GETLINK for one index ignores AF_BRIDGE), so filter here.
        for reply in try netlink.dump(message, operation)
        where reply.type == NL.newLink && NetlinkMessage.get(reply.payload, 4, as: Int32.self) == index {
            guard let spec = NetlinkAttributes(reply.payload.dropFirst(16)).nested(NL.iflaAFSpec) else { continue }
            for entry in spec where entry.type == NL.bridgeVLANInfo && entry.payload.count >= 4 {
                let flags = NetlinkMessage.get(entry.payload, 0, as: UInt16.self)
                let vid = Int(NetlinkMessage.get(entry.payload, 2, as: UInt16.self))
                vlans[vid] = BridgeVLAN(
                    vid: vid, pvid: flags & NL.vlanInfoPVID != 0, untagged: flags & NL.vlanInfoUntagged != 0)
            }
        }
        return vlans.values.sorted { $0.vid < $1.vid }
    }

    /// Adds (or changes the flags of) a VLAN on a bridge port, or on the bridge itself.
    /// - Throws: `.unsupported` where the kernel has no bridge VLAN filtering or `name` is not on a
    ///   bridge; `.invalid` for a VLAN id outside 1-4094.
    public func addBridgeVLAN(_ name: String, _ vlan: BridgeVLAN) throws(HostNetError) {
        let flags = (vlan.pvid ? NL.vlanInfoPVID : 0) | (vlan.untagged ? NL.vlanInfoUntagged : 0)
        let operation = HostCall.bridgeVLANAdd(name, vlan).description
        try InterfaceName.check(name, operation)
        guard (1...4094).contains(vlan.vid) else {
            throw HostNetError(.invalid, operation, detail: "not a VLAN id (1-4094)")
        }
        guard let link = try fetchLink(name: name, operation) else {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
        // One round trip; only a refusal costs look-ups, to say why.
        do {
            try send(link, vid: vlan.vid, flags: flags, type: NL.setLink, operation)
        } catch let error where error.errno == .notSupported || error.errno == .invalidArgument {
            _ = try vlanBridge(of: link, operation, errno: error.errno)
            throw error
        }
    }

    /// Removes a VLAN from a bridge port or bridge; a VLAN it does not have is `.notFound`.
    ///
    /// The kernel answers success to any VLAN delete, even with no such VLAN or no VLAN support at
    /// all, so both are checked first (two more round trips; VLAN deletes are rare).
    public func deleteBridgeVLAN(_ name: String, vid: Int) throws(HostNetError) {
        let operation = HostCall.bridgeVLANDel(name, vid: vid).description
        try InterfaceName.check(name, operation)
        guard (1...4094).contains(vid) else {
            throw HostNetError(.invalid, operation, detail: "not a VLAN id (1-4094)")
        }
        guard let link = try fetchLink(name: name, operation) else {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
        _ = try vlanBridge(of: link, operation)
        guard try bridgeVLANs(name).contains(where: { $0.vid == vid }) else {
            throw HostNetError(.notFound, operation, detail: "no vlan \(vid) on \(name)")
        }
        try send(link, vid: vid, flags: 0, type: NL.delLink, operation)
    }

    private func send(
        _ link: LinkMessage, vid: Int, flags: UInt16, type: UInt16, _ operation: String
    ) throws(HostNetError) {
        // Family AF_BRIDGE makes RTM_DELLINK the bridge's "delete this VLAN", not "delete the link".
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack,
            header: NetlinkMessage.linkHeader(family: NL.bridge, index: link.state.index))
        message.beginNested(NL.iflaAFSpec)
        // A port's VLANs live in its master; a bridge's own (`self`) in the bridge.
        message.attribute(
            NL.bridgeFlags, uint16: link.state.kind == "bridge" ? NL.bridgeFlagsSelf : NL.bridgeFlagsMaster)
        var info = [UInt8](repeating: 0, count: 4)
        NetlinkMessage.put(&info, 0, flags)
        NetlinkMessage.put(&info, 2, UInt16(vid))
        message.attribute(NL.bridgeVLANInfo, info)
        message.endNested()
        try netlink.request(message, operation)
    }

    /// The bridge that holds `link`'s VLANs (the link itself, or its master), or `.unsupported`
    /// saying why there is none: not on a bridge, or a kernel without bridge VLAN filtering.
    private func vlanBridge(
        of link: LinkMessage, _ operation: String, errno: Errno? = nil
    ) throws(HostNetError) -> LinkMessage {
        let bridge =
            link.state.kind == "bridge"
            ? link : link.masterIndex > 0 ? try fetchLink(index: link.masterIndex, operation) : nil
        guard let bridge, bridge.state.kind == "bridge" else {
            throw HostNetError(
                .unsupported, operation, detail: "\(link.state.name) is not a bridge or a bridge port", errno: errno)
        }
        guard bridge.bridgeVLANsAvailable else {
            throw HostNetError(
                .unsupported, operation, detail: "bridge VLAN filtering is not available in this kernel", errno: errno)
        }
        return bridge
    }
}

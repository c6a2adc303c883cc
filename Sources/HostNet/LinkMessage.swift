/// An RTM_NEWLINK answer read into a ``LinkState``, with what the state does not carry: the
/// master's index (names are resolved by the caller, from the same dump or one more look-up) and,
/// for bridges, whether this kernel knows bridge VLAN filtering at all.
struct LinkMessage {
    var state: LinkState
    /// IFLA_MASTER, 0 for none.
    var masterIndex: Int32
    /// For a bridge: whether the kernel reported IFLA_BR_VLAN_PROTOCOL, which only kernels built
    /// with CONFIG_BRIDGE_VLAN_FILTERING do (IFLA_BR_VLAN_FILTERING itself is always there).
    var bridgeVLANsAvailable: Bool

    /// Reads a payload (`ifinfomsg` and attributes); nil when it is too short to be one.
    init?(_ payload: ArraySlice<UInt8>) {
        guard payload.count >= 16 else { return nil }
        let index = NetlinkMessage.get(payload, 4, as: Int32.self)
        let flags = NetlinkMessage.get(payload, 8, as: UInt32.self)
        let attributes = NetlinkAttributes(payload.dropFirst(16))
        var kind: String?
        var filtering = false
        var available = false
        if let info = attributes.nested(NL.iflaLinkInfo) {
            kind = info.string(NL.infoKind)
            if kind == "bridge", let data = info.nested(NL.infoData) {
                filtering = data[NL.bridgeVLANFiltering]?.first.map { $0 != 0 } ?? false
                available = data[NL.bridgeVLANProtocol] != nil
            }
        }
        state = LinkState(
            name: attributes.string(NL.iflaName) ?? "if\(index)", index: index, up: flags & NL.iffUp != 0,
            mtu: Int(attributes.uint32(NL.iflaMTU) ?? 0), mac: attributes[NL.iflaAddress].flatMap(MACAddress.text),
            master: nil, kind: kind, vlanFiltering: filtering)
        masterIndex = attributes.uint32(NL.iflaMaster).map { Int32(bitPattern: $0) } ?? 0
        bridgeVLANsAvailable = available
    }
}

/// rtnetlink numbers from the Linux UAPI headers (`linux/netlink.h`, `rtnetlink.h`, `if_link.h`,
/// `if_addr.h`, `neighbour.h`, `if_bridge.h`, `fib_rules.h`): stable kernel ABI, spelled out because Swift imports most of
/// them as C enums of differing types (and `linux/in6.h`, pulled in by `rtnetlink.h`, clashes with
/// glibc's). `NetlinkConstantsTests` checks them against the headers.
enum NL {
    static let route: Int32 = 0  // NETLINK_ROUTE

    // Socket options (SOL_NETLINK level): ask for the kernel's error text, without the echo of
    // the request in every error.
    static let socketLevel: Int32 = 270  // SOL_NETLINK
    static let capAck: Int32 = 10  // NETLINK_CAP_ACK
    static let extendedAck: Int32 = 11  // NETLINK_EXT_ACK

    // nlmsghdr flags and types
    static let request: UInt16 = 0x1
    static let multi: UInt16 = 0x2
    static let ack: UInt16 = 0x4
    static let dumpInterrupted: UInt16 = 0x10  // NLM_F_DUMP_INTR: the dump changed under us
    static let dump: UInt16 = 0x300
    static let replace: UInt16 = 0x100
    static let exclusive: UInt16 = 0x200
    static let create: UInt16 = 0x400
    static let ackTLVs: UInt16 = 0x200  // NLM_F_ACK_TLVS, on an NLMSG_ERROR
    static let noop: UInt16 = 1
    static let error: UInt16 = 2
    static let done: UInt16 = 3
    static let errorMessage: UInt16 = 1  // NLMSGERR_ATTR_MSG

    static let newLink: UInt16 = 16
    static let delLink: UInt16 = 17
    static let getLink: UInt16 = 18
    static let setLink: UInt16 = 19
    static let newAddress: UInt16 = 20
    static let delAddress: UInt16 = 21
    static let getAddress: UInt16 = 22
    static let newRoute: UInt16 = 24
    static let delRoute: UInt16 = 25
    static let getRoute: UInt16 = 26
    static let newNeighbour: UInt16 = 28
    static let delNeighbour: UInt16 = 29
    static let getNeighbour: UInt16 = 30
    static let newRule: UInt16 = 32
    static let delRule: UInt16 = 33
    static let getRule: UInt16 = 34

    // address families
    static let unspec: UInt8 = 0
    static let inet: UInt8 = 2
    static let bridge: UInt8 = 7
    static let inet6: UInt8 = 10

    // IFLA_*
    static let iflaAddress: UInt16 = 1
    static let iflaName: UInt16 = 3
    static let iflaMTU: UInt16 = 4
    static let iflaMaster: UInt16 = 10
    static let iflaLinkInfo: UInt16 = 18
    static let iflaAFSpec: UInt16 = 26
    static let iflaExtMask: UInt16 = 29
    static let infoKind: UInt16 = 1
    static let infoData: UInt16 = 2
    static let bridgeVLANFiltering: UInt16 = 7  // IFLA_BR_VLAN_FILTERING
    /// Only kernels built with bridge VLAN filtering report it.
    static let bridgeVLANProtocol: UInt16 = 8  // IFLA_BR_VLAN_PROTOCOL
    static let bridgeFlags: UInt16 = 0  // IFLA_BRIDGE_FLAGS
    static let bridgeVLANInfo: UInt16 = 2  // IFLA_BRIDGE_VLAN_INFO
    static let vlanInfoPVID: UInt16 = 0x2
    static let vlanInfoUntagged: UInt16 = 0x4
    static let bridgeFlagsMaster: UInt16 = 0x1
    static let bridgeFlagsSelf: UInt16 = 0x2
    static let extFilterBridgeVLAN: UInt32 = 0x2  // RTEXT_FILTER_BRVLAN
    static let extFilterSkipStats: UInt32 = 0x8  // RTEXT_FILTER_SKIP_STATS: smaller answers
    static let iffUp: UInt32 = 0x1

    // RTA_* and route fields
    static let rtaDst: UInt16 = 1
    static let rtaOIF: UInt16 = 4
    static let rtaGateway: UInt16 = 5
    static let rtaMultipath: UInt16 = 9
    static let rtaTable: UInt16 = 15
    static let unicast: UInt8 = 1  // RTN_UNICAST
    static let scopeUniverse: UInt8 = 0
    static let scopeLink: UInt8 = 253
    static let scopeHost: UInt8 = 254  // the loopback's addresses
    static let scopeNowhere: UInt8 = 255  // on a delete: any scope
    static let tableCompat: UInt8 = 252  // RT_TABLE_COMPAT: the real id is in the attribute

    // IFA_* (interface addresses)
    static let ifaAddress: UInt16 = 1  // the prefix address, or the peer of a point-to-point address
    static let ifaLocal: UInt16 = 2  // the local address

    // NDA_* and neighbour fields
    static let ndaDst: UInt16 = 1
    static let neighbourProxy: UInt8 = 0x8  // NTF_PROXY
    static let neighbourPermanent: UInt16 = 0x80  // NUD_PERMANENT

    // FRA_* and rule fields
    static let fraIfName: UInt16 = 3  // FRA_IIFNAME
    static let fraPriority: UInt16 = 6
    static let fraFirewallMark: UInt16 = 10  // FRA_FWMARK
    static let fraTable: UInt16 = 15
    static let fraOutputIfName: UInt16 = 17  // FRA_OIFNAME
    static let actionToTable: UInt8 = 1  // FR_ACT_TO_TBL
    static let ruleInvert: UInt32 = 0x2  // FIB_RULE_INVERT ("not iif ...")
}

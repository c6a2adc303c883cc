import CLinux
import Testing

@testable import HostNet

#if canImport(Glibc)
import Glibc
#endif

/// Building and reading rtnetlink messages, without a kernel.
@Suite("Netlink messages")
struct NetlinkTests {
    /// A payload made of a family header and attributes, as the kernel would send it.
    static func payload(header: [UInt8], _ attributes: (inout NetlinkMessage) -> Void) -> ArraySlice<UInt8> {
        var message = NetlinkMessage(type: 0, flags: 0, header: header)
        attributes(&message)
        return message.finished(sequence: 0).dropFirst(NetlinkMessage.headerSize)
    }

    @Test func attributesArePaddedToFourBytesAndNestedLengthsCoverTheirChildren() {
        var message = NetlinkMessage(type: NL.setLink, flags: NL.request | NL.ack, header: NetlinkMessage.linkHeader())
        message.attribute(NL.iflaName, string: "tap0")  // 4 + 5 bytes, padded to 12
        message.beginNested(NL.iflaAFSpec)
        message.attribute(NL.bridgeFlags, uint16: 1)  // 4 + 2, padded to 8
        message.endNested()
        let bytes = message.finished(sequence: 7)
        #expect(bytes.count == 16 + 16 + 12 + 4 + 8)
        #expect(NetlinkMessage.get(bytes[...], 0, as: UInt32.self) == UInt32(bytes.count))
        #expect(NetlinkMessage.get(bytes[...], 4, as: UInt16.self) == NL.setLink)
        #expect(NetlinkMessage.get(bytes[...], 8, as: UInt32.self) == 7)
        #expect(Array(bytes[36..<41]) == Array("tap0\0".utf8))
        #expect(NetlinkMessage.get(bytes[...], 44, as: UInt16.self) == 12)  // nested: header + child
        let parsed = NetlinkAttributes(bytes.dropFirst(32))
        #expect(parsed.string(NL.iflaName) == "tap0")
        #expect(parsed.nested(NL.iflaAFSpec)?[NL.bridgeFlags].map { Array($0) } == [1, 0])
    }

    @Test func aTruncatedAttributeEndsTheWalkInsteadOfTrapping() {
        var bytes: [UInt8] = [8, 0, 4, 0, 0xdc, 5, 0, 0]  // IFLA_MTU 1500
        bytes += [40, 0, 3, 0, 65, 66]  // claims 40 bytes, has 6
        let attributes = NetlinkAttributes(bytes[...])
        #expect(attributes.uint32(NL.iflaMTU) == 1500)
        #expect(attributes[NL.iflaName] == nil)
        #expect(Array(attributes).count == 1)
        #expect(NetlinkAttributes([2, 0][...]).uint32(1) == nil)
    }

    @Test func aLinkAnswerBecomesALinkState() throws {
        let payload = Self.payload(
            header: NetlinkMessage.linkHeader(index: 7, flags: NL.iffUp)
        ) { message in
            message.attribute(NL.iflaName, string: "br0")
            message.attribute(NL.iflaMTU, uint32: 9000)
            message.attribute(NL.iflaAddress, [0x52, 0x54, 0, 0xAB, 0xCD, 0xEF])
            message.attribute(NL.iflaMaster, uint32: 3)
            message.beginNested(NL.iflaLinkInfo)
            message.attribute(NL.infoKind, string: "bridge")
            message.beginNested(NL.infoData)
            message.attribute(NL.bridgeVLANFiltering, [1])
            message.endNested()
            message.endNested()
        }
        let link = try #require(LinkMessage(payload))
        #expect(
            link.state
                == LinkState(
                    name: "br0", index: 7, up: true, mtu: 9000, mac: "52:54:00:ab:cd:ef", master: nil, kind: "bridge",
                    vlanFiltering: true))
        #expect(link.masterIndex == 3)
        #expect(!link.bridgeVLANsAvailable)  // no IFLA_BR_VLAN_PROTOCOL: a kernel without filtering
    }

    @Test func aLinkWithoutAnEthernetAddressHasNoMAC() throws {
        let payload = Self.payload(header: NetlinkMessage.linkHeader(index: 9)) { message in
            message.attribute(NL.iflaName, string: "gre0")
            message.attribute(NL.iflaAddress, [0, 0, 0, 0])
        }
        let link = try #require(LinkMessage(payload))
        #expect(link.state.mac == nil && link.state.kind == nil && !link.state.up && link.masterIndex == 0)
    }

    @Test func routeAnswersKeepUnicastDeviceRoutesOnly() {
        let names: [Int32: String] = [4: "tap0"]
        func route(
            type: UInt8 = NL.unicast, gateway: Bool = false, table: UInt32? = 100, dst: [UInt8]? = [10, 99, 0, 5]
        )
            -> Route?
        {
            let header = NetlinkMessage.routeHeader(
                family: NL.inet, dstLength: dst == nil ? 0 : 32, table: 252, proto: 4, scope: NL.scopeLink, type: type)
            return LinuxHost.route(
                Self.payload(header: header) { message in
                    if let table { message.attribute(NL.rtaTable, uint32: table) }
                    if let dst { message.attribute(NL.rtaDst, dst) }
                    if gateway { message.attribute(NL.rtaGateway, [10, 99, 0, 1]) }
                    message.attribute(NL.rtaOIF, uint32: 4)
                }, names)
        }
        #expect(route() == Route(destination: "10.99.0.5/32", device: "tap0", table: 100, proto: 4))
        #expect(route(dst: nil)?.destination == "0.0.0.0/0")
        #expect(route(table: nil)?.table == 252)  // no RTA_TABLE: the header's table
        #expect(route(type: 2) == nil)  // RTN_LOCAL
        #expect(route(gateway: true) == nil)
    }

    @Test func ruleAnswersKeepIifLookupRulesOnly() {
        func rule(
            family: UInt8 = NL.inet, srcLength: UInt8 = 0, action: UInt8 = NL.actionToTable, iif: String? = "tap0"
        )
            -> Rule?
        {
            var header = NetlinkMessage.ruleHeader(family: family, table: 100, action: action)
            header[2] = srcLength
            return LinuxHost.rule(
                Self.payload(header: header) { message in
                    if let iif { message.attribute(NL.fraIfName, string: iif) }
                    message.attribute(NL.fraPriority, uint32: 32765)
                })
        }
        #expect(rule() == Rule(family: 4, device: "tap0", table: 100, priority: 32765))
        #expect(rule(family: NL.inet6)?.family == 6)
        #expect(rule(iif: nil) == nil)  // from all lookup main: the kernel's
        #expect(rule(srcLength: 24) == nil)  // from 10.0.0.0/24 iif tap0: more than a Rule says
        #expect(rule(action: 2) == nil)  // goto
    }

    @Test func addressAnswersKeepTheLinksOwnAddressesOnly() {
        let names: [Int32: String] = [4: "tap0"]
        func address(
            family: UInt8 = NL.inet, length: UInt8 = 24, scope: UInt8 = NL.scopeUniverse, index: Int32 = 4,
            local: [UInt8]? = [192, 0, 2, 1], prefix: [UInt8]? = [192, 0, 2, 1]
        ) -> InterfaceAddress? {
            let header = NetlinkMessage.addressHeader(family: family, prefixLength: length, scope: scope, index: index)
            return LinuxHost.address(
                Self.payload(header: header) { message in
                    if let prefix { message.attribute(NL.ifaAddress, prefix) }
                    if let local { message.attribute(NL.ifaLocal, local) }
                }, names)
        }
        let v6 = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        let linkLocal = [0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]
        #expect(address() == InterfaceAddress(address: "192.0.2.1/24", device: "tap0"))
        #expect(address(family: NL.inet6, length: 64, local: nil, prefix: v6)?.address == "2001:db8::1/64")
        #expect(address(local: nil)?.address == "192.0.2.1/24")  // IFA_ADDRESS alone
        #expect(address(prefix: [192, 0, 2, 2]) == nil)  // a peer: point-to-point
        #expect(address(scope: NL.scopeHost) == nil)
        #expect(address(index: 5) == nil)  // a link not asked for
        // The kernel's own link-local /64 (the MAC's EUI-64) is left out; another is listed.
        let kernelLinkLocal: [UInt8] = [0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0x00, 0xFF, 0xFE, 0x12, 0x34, 0x56]
        #expect(address(family: NL.inet6, length: 64, local: nil, prefix: kernelLinkLocal) == nil)
        #expect(address(family: NL.inet6, length: 64, local: nil, prefix: linkLocal)?.address == "fe80::1/64")
        #expect(address(family: NL.inet6, length: 128, local: nil, prefix: linkLocal)?.address == "fe80::1/128")
        #expect(address(family: NL.inet6, local: nil, prefix: [192, 0, 2, 1]) == nil)  // wrong size
    }

    @Test func neighbourAnswersKeepProxyEntriesOnly() {
        let names: [Int32: String] = [4: "tap0"]
        func entry(
            family: UInt8 = NL.inet, flags: UInt8 = NL.neighbourProxy, index: Int32 = 4, dst: [UInt8]? = [192, 0, 2, 5]
        )
            -> ProxyNeighbour?
        {
            let header = NetlinkMessage.neighbourHeader(family: family, index: index, flags: flags)
            return LinuxHost.proxyNeighbour(
                Self.payload(header: header) { message in
                    if let dst { message.attribute(NL.ndaDst, dst) }
                }, names)
        }
        #expect(entry() == ProxyNeighbour(address: "192.0.2.5", device: "tap0"))
        let v6 = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [5]
        #expect(entry(family: NL.inet6, dst: v6)?.address == "2001:db8::5")
        #expect(entry(flags: 0) == nil)  // a neighbour cache entry
        #expect(entry(index: 0) == nil)  // no device
        #expect(entry(dst: nil) == nil)
        #expect(entry(family: NL.inet6) == nil)  // wrong size
    }

    @Test func addressAndNeighbourHeadersAreTheKernelsStructs() {
        let address = NetlinkMessage.addressHeader(family: NL.inet6, prefixLength: 64, scope: NL.scopeHost, index: 7)
        #expect(address.count == MemoryLayout<ifaddrmsg>.size && address == [10, 64, 0, 254, 7, 0, 0, 0])
        let neighbour = NetlinkMessage.neighbourHeader(
            family: NL.inet, index: 7, state: NL.neighbourPermanent, flags: NL.neighbourProxy)
        #expect(neighbour.count == MemoryLayout<ndmsg>.size && neighbour == [2, 0, 0, 0, 7, 0, 0, 0, 0x80, 0, 8, 0])
    }

    @Test func theKernelsErrorTextIsReadFromAnExtendedAck() {
        var payload: [UInt8] = [0xEA, 0xFF, 0xFF, 0xFF]  // -22
        payload += [UInt8](repeating: 0, count: 16)  // the echoed nlmsghdr (capped)
        var text = NetlinkMessage(type: 0, flags: 0, header: [])
        text.attribute(NL.errorMessage, string: "MTU too small")
        payload += text.finished(sequence: 0).dropFirst(16)
        #expect(NetlinkSocket.extendedAckText(payload[...], flags: 0x100 | NL.ackTLVs) == "MTU too small")
        #expect(NetlinkSocket.extendedAckText(payload[...], flags: 0x100) == nil)
    }

    /// The numbers spelled out in NL are the headers' (the shim includes them for this check).
    @Test func constantsMatchTheKernelHeaders() {
        func same(_ a: some BinaryInteger, _ b: some BinaryInteger) -> Bool { Int(a) == Int(b) }
        #expect(same(NL.request, NLM_F_REQUEST) && same(NL.ack, NLM_F_ACK) && same(NL.dump, NLM_F_DUMP))
        #expect(same(NL.create, NLM_F_CREATE) && same(NL.replace, NLM_F_REPLACE) && same(NL.exclusive, NLM_F_EXCL))
        #expect(same(NL.dumpInterrupted, NLM_F_DUMP_INTR) && same(NL.ackTLVs, NLM_F_ACK_TLVS))
        #expect(same(NL.error, NLMSG_ERROR) && same(NL.done, NLMSG_DONE) && same(NL.noop, NLMSG_NOOP))
        #expect(same(NL.capAck, NETLINK_CAP_ACK) && same(NL.extendedAck, NETLINK_EXT_ACK))
        #expect(same(NL.errorMessage, NLMSGERR_ATTR_MSG.rawValue))
        #expect(same(NL.newLink, RTM_NEWLINK) && same(NL.delLink, RTM_DELLINK) && same(NL.getLink, RTM_GETLINK))
        #expect(same(NL.setLink, RTM_SETLINK) && same(NL.newRoute, RTM_NEWROUTE) && same(NL.delRoute, RTM_DELROUTE))
        #expect(same(NL.getRoute, RTM_GETROUTE) && same(NL.newRule, RTM_NEWRULE) && same(NL.delRule, RTM_DELRULE))
        #expect(same(NL.getRule, RTM_GETRULE))
        #expect(
            same(NL.newAddress, RTM_NEWADDR) && same(NL.delAddress, RTM_DELADDR) && same(NL.getAddress, RTM_GETADDR))
        #expect(same(NL.newNeighbour, RTM_NEWNEIGH) && same(NL.delNeighbour, RTM_DELNEIGH))
        #expect(same(NL.getNeighbour, RTM_GETNEIGH))
        #expect(same(NL.ifaAddress, IFA_ADDRESS) && same(NL.ifaLocal, IFA_LOCAL))
        #expect(same(NL.ndaDst, NDA_DST) && same(NL.neighbourProxy, NTF_PROXY))
        #expect(same(NL.neighbourPermanent, NUD_PERMANENT) && same(NL.scopeHost, RT_SCOPE_HOST.rawValue))
        #expect(same(NL.inet, AF_INET) && same(NL.inet6, AF_INET6) && same(NL.bridge, AF_BRIDGE))
        #expect(same(NL.iflaAddress, IFLA_ADDRESS) && same(NL.iflaName, IFLA_IFNAME) && same(NL.iflaMTU, IFLA_MTU))
        #expect(same(NL.iflaMaster, IFLA_MASTER) && same(NL.iflaLinkInfo, IFLA_LINKINFO))
        #expect(same(NL.iflaAFSpec, IFLA_AF_SPEC) && same(NL.iflaExtMask, IFLA_EXT_MASK))
        #expect(same(NL.infoKind, IFLA_INFO_KIND) && same(NL.infoData, IFLA_INFO_DATA))
        #expect(same(NL.bridgeVLANFiltering, IFLA_BR_VLAN_FILTERING))
        #expect(same(NL.bridgeVLANProtocol, IFLA_BR_VLAN_PROTOCOL))
        #expect(same(NL.bridgeFlags, IFLA_BRIDGE_FLAGS) && same(NL.bridgeVLANInfo, IFLA_BRIDGE_VLAN_INFO))
        #expect(same(NL.vlanInfoPVID, BRIDGE_VLAN_INFO_PVID) && same(NL.vlanInfoUntagged, BRIDGE_VLAN_INFO_UNTAGGED))
        #expect(same(NL.bridgeFlagsMaster, BRIDGE_FLAGS_MASTER) && same(NL.bridgeFlagsSelf, BRIDGE_FLAGS_SELF))
        #expect(same(NL.extFilterBridgeVLAN, RTEXT_FILTER_BRVLAN))
        #expect(same(NL.extFilterSkipStats, RTEXT_FILTER_SKIP_STATS))
        #expect(same(NL.rtaDst, RTA_DST.rawValue) && same(NL.rtaOIF, RTA_OIF.rawValue))
        #expect(same(NL.rtaGateway, RTA_GATEWAY.rawValue) && same(NL.rtaMultipath, RTA_MULTIPATH.rawValue))
        #expect(same(NL.rtaTable, RTA_TABLE.rawValue) && same(NL.unicast, RTN_UNICAST))
        #expect(same(NL.scopeLink, RT_SCOPE_LINK.rawValue) && same(NL.scopeNowhere, RT_SCOPE_NOWHERE.rawValue))
        #expect(same(NL.scopeUniverse, RT_SCOPE_UNIVERSE.rawValue) && same(NL.tableCompat, RT_TABLE_COMPAT.rawValue))
        #expect(same(NL.fraIfName, FRA_IIFNAME) && same(NL.fraPriority, FRA_PRIORITY) && same(NL.fraTable, FRA_TABLE))
        #expect(same(NL.fraFirewallMark, FRA_FWMARK) && same(NL.fraOutputIfName, FRA_OIFNAME))
        #expect(same(NL.actionToTable, FR_ACT_TO_TBL) && same(NL.ruleInvert, FIB_RULE_INVERT))
        #expect(same(Tap.tapFlag, IFF_TAP) && same(Tap.noPI, IFF_NO_PI))
        #expect(same(Tap.vnetHeaderFlag, IFF_VNET_HDR) && same(Tap.multiQueueFlag, IFF_MULTI_QUEUE))
    }
}

import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The real kernel behind ``HostNetwork``: rtnetlink for links, bridge VLANs, routes and rules,
/// `/proc/sys/net` for sysctls. No process is spawned. Everything acts in the network namespace
/// of the thread that created the host (its netlink socket is bound there), and `/proc/sys/net`
/// follows the calling thread's namespace.
public final class LinuxHost: HostNetwork {
    private let socket: NetlinkSocket

    public init() throws(HostNetError) { socket = try NetlinkSocket() }

    // MARK: - Links

    public func links() throws(HostNetError) -> [LinkState] {
        var message = NetlinkMessage(type: NL.getLink, flags: NL.request | NL.dump, header: NetlinkMessage.linkHeader())
        message.attribute(NL.iflaExtMask, uint32: 0)
        var parsed: [(LinkState, Int32)] = []
        for (type, payload) in try socket.dump(message, "list links") where type == NL.newLink && payload.count >= 16 {
            parsed.append(Self.parseLink(payload))
        }
        let names = Dictionary(parsed.map { ($0.0.index, $0.0.name) }, uniquingKeysWith: { a, _ in a })
        return parsed.map { link, masterIndex in
            var link = link
            link.master = masterIndex > 0 ? names[masterIndex] : nil
            return link
        }
    }

    /// A link from an RTM_NEWLINK payload, and its master's index (0 for none).
    static func parseLink(_ payload: ArraySlice<UInt8>) -> (LinkState, Int32) {
        let index = NetlinkMessage.get(payload, 4, as: Int32.self)
        let flags = NetlinkMessage.get(payload, 8, as: UInt32.self)
        let attributes = NetlinkMessage.attributes(payload.dropFirst(16))
        let name = attributes[NL.iflaName].map { cString($0) } ?? "if\(index)"
        let mtu = attributes[NL.iflaMTU].map { Int(NetlinkMessage.get($0, 0, as: UInt32.self)) } ?? 0
        var mac: String?
        if let address = attributes[NL.iflaAddress], address.count == 6 {
            mac = address.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
        }
        let master = attributes[NL.iflaMaster].map { NetlinkMessage.get($0, 0, as: Int32.self) } ?? 0
        var kind: String?
        var filtering = false
        if let info = attributes[NL.iflaLinkInfo] {
            let infoAttributes = NetlinkMessage.attributes(info)
            kind = infoAttributes[NL.infoKind].map { cString($0) }
            if kind == "bridge", let data = infoAttributes[NL.infoData],
                let value = NetlinkMessage.attributes(data)[NL.bridgeVLANFiltering], let first = value.first
            {
                filtering = first != 0
            }
        }
        let link = LinkState(
            name: name, index: index, up: flags & NL.iffUp != 0, mtu: mtu, mac: mac, master: nil, kind: kind,
            vlanFiltering: filtering)
        return (link, master)
    }

    public func link(_ name: String) throws(HostNetError) -> LinkState? {
        try links().first { $0.name == name }
    }

    private func index(_ name: String, _ operation: String) throws(HostNetError) -> Int32 {
        try InterfaceName.check(name, operation)
        guard let link = try link(name) else { throw HostNetError(.notFound, operation, detail: "no link \(name)") }
        return link.index
    }

    private func setLink(
        _ name: String, _ operation: String, flags: UInt32 = 0, change: UInt32 = 0,
        _ attributes: (inout NetlinkMessage) -> Void
    ) throws(HostNetError) {
        let index = try index(name, operation)
        var message = NetlinkMessage(
            type: NL.setLink, flags: NL.request | NL.ack,
            header: NetlinkMessage.linkHeader(index: index, flags: flags, change: change))
        attributes(&message)
        try socket.request(message, operation)
    }

    public func setUp(_ name: String, _ up: Bool) throws(HostNetError) {
        try setLink(name, "set \(name) \(up ? "up" : "down")", flags: up ? NL.iffUp : 0, change: NL.iffUp) { _ in }
    }

    public func setMTU(_ name: String, _ mtu: Int) throws(HostNetError) {
        guard mtu > 0, mtu <= 0xFFFF else {
            throw HostNetError(.invalid, "set mtu \(mtu) on \(name)", detail: "not an MTU")
        }
        try setLink(name, "set mtu \(mtu) on \(name)") { $0.attribute(NL.iflaMTU, uint32: UInt32(mtu)) }
    }

    public func setMAC(_ name: String, _ mac: String) throws(HostNetError) {
        let parts = mac.split(separator: ":")
        let bytes = parts.compactMap { $0.count == 2 ? UInt8($0, radix: 16) : nil }
        guard parts.count == 6, bytes.count == 6 else {
            throw HostNetError(.invalid, "set mac \(mac) on \(name)", detail: "not a MAC address")
        }
        try setLink(name, "set mac \(mac) on \(name)") { $0.attribute(NL.iflaAddress, bytes) }
    }

    public func setMaster(_ name: String, _ master: String?) throws(HostNetError) {
        let operation = master.map { "set master \($0) on \(name)" } ?? "set nomaster on \(name)"
        let masterIndex = try master.map { (m: String) throws(HostNetError) in try index(m, operation) } ?? 0
        try setLink(name, operation) { $0.attribute(NL.iflaMaster, uint32: UInt32(bitPattern: masterIndex)) }
    }

    // MARK: - Bridge VLANs

    public func bridgeVLANs(_ name: String) throws(HostNetError) -> [BridgeVLAN] {
        let index = try index(name, "list bridge vlans of \(name)")
        var message = NetlinkMessage(
            type: NL.getLink, flags: NL.request | NL.dump, header: NetlinkMessage.linkHeader(family: NL.bridge))
        message.attribute(NL.iflaExtMask, uint32: NL.extFilterBridgeVLAN)
        var vlans: [BridgeVLAN] = []
        for (type, payload) in try socket.dump(message, "list bridge vlans of \(name)")
        where type == NL.newLink && payload.count >= 16 && NetlinkMessage.get(payload, 4, as: Int32.self) == index {
            guard let spec = NetlinkMessage.attributes(payload.dropFirst(16))[NL.iflaAFSpec] else { continue }
            var offset = 0
            while offset + 4 <= spec.count {  // IFLA_BRIDGE_VLAN_INFO repeats: walk them all
                let length = Int(NetlinkMessage.get(spec, offset, as: UInt16.self))
                let type = NetlinkMessage.get(spec, offset + 2, as: UInt16.self) & 0x3FFF
                guard length >= 4 else { break }
                if type == NL.bridgeVLANInfo && length >= 8 {
                    let flags = NetlinkMessage.get(spec, offset + 4, as: UInt16.self)
                    let vid = NetlinkMessage.get(spec, offset + 6, as: UInt16.self)
                    vlans.append(
                        BridgeVLAN(
                            vid: Int(vid), pvid: flags & NL.vlanInfoPVID != 0,
                            untagged: flags & NL.vlanInfoUntagged != 0))
                }
                offset += (length + 3) & ~3
            }
        }
        return vlans.sorted { $0.vid < $1.vid }
    }

    private func bridgeVLAN(
        _ name: String, vid: Int, flags: UInt16, type: UInt16, _ operation: String
    ) throws(HostNetError) {
        guard (1...4094).contains(vid) else { throw HostNetError(.invalid, operation, detail: "not a VLAN id") }
        let index = try index(name, operation)
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack, header: NetlinkMessage.linkHeader(family: NL.bridge, index: index))
        message.beginNested(NL.iflaAFSpec)
        var info = [UInt8](repeating: 0, count: 4)
        NetlinkMessage.put(&info, 0, flags)
        NetlinkMessage.put(&info, 2, UInt16(vid))
        message.attribute(NL.bridgeVLANInfo, info)
        message.endNested()
        do {
            try socket.request(message, operation)
        } catch let error where error.errno == .notSupported || error.errno == .invalidArgument {
            guard try bridgeOf(name)?.vlanFiltering == true else {
                throw HostNetError(
                    .unsupported, operation, detail: "\(name) is not on a bridge with VLAN filtering",
                    errno: error.errno)
            }
            throw error
        }
    }

    private func bridgeOf(_ name: String) throws(HostNetError) -> LinkState? {
        guard let link = try link(name) else { return nil }
        if link.kind == "bridge" { return link }
        return try link.master.flatMap { (m: String) throws(HostNetError) in try self.link(m) }
    }

    public func addBridgeVLAN(_ name: String, _ vlan: BridgeVLAN) throws(HostNetError) {
        let flags = (vlan.pvid ? NL.vlanInfoPVID : 0) | (vlan.untagged ? NL.vlanInfoUntagged : 0)
        try bridgeVLAN(name, vid: vlan.vid, flags: flags, type: NL.setLink, "add bridge vlan \(vlan.vid) to \(name)")
    }

    public func deleteBridgeVLAN(_ name: String, vid: Int) throws(HostNetError) {
        try bridgeVLAN(name, vid: vid, flags: 0, type: NL.delLink, "delete bridge vlan \(vid) from \(name)")
    }

    // MARK: - Routes

    public func routes(table: Int?) throws(HostNetError) -> [Route] {
        let names = Dictionary(try links().map { ($0.index, $0.name) }, uniquingKeysWith: { a, _ in a })
        var routes: [Route] = []
        for family in [NL.inet, NL.inet6] {
            let message = NetlinkMessage(
                type: NL.getRoute, flags: NL.request | NL.dump, header: NetlinkMessage.routeHeader(family: family))
            for (type, payload) in try socket.dump(message, "list routes")
            where type == NL.newRoute && payload.count >= 12 {
                // Unicast routes through a device only: local, broadcast and multicast entries are
                // the kernel's, never a hook's.
                guard payload[payload.startIndex + 7] == NL.unicast else { continue }
                let attributes = NetlinkMessage.attributes(payload.dropFirst(12))
                guard let oif = attributes[NL.rtaOIF].map({ NetlinkMessage.get($0, 0, as: Int32.self) }),
                    let device = names[oif]
                else { continue }
                let routeTable =
                    attributes[NL.rtaTable].map { Int(NetlinkMessage.get($0, 0, as: UInt32.self)) }
                    ?? Int(payload[payload.startIndex + 4])
                if let table, routeTable != table { continue }
                let length = Int(payload[payload.startIndex + 1])
                let destination =
                    attributes[NL.rtaDst].map { IPAddress.text(Array($0)) } ?? (family == NL.inet ? "0.0.0.0" : "::")
                routes.append(
                    Route(
                        destination: "\(destination)/\(length)", device: device, table: routeTable,
                        proto: Int(payload[payload.startIndex + 5])))
            }
        }
        return routes
    }

    private func routeMessage(
        _ route: Route, type: UInt16, flags: UInt16, _ operation: String
    ) throws(HostNetError) -> NetlinkMessage {
        guard let (address, length) = IPAddress.prefix(route.destination) else {
            throw HostNetError(.invalid, operation, detail: "\(route.destination) is not an address or prefix")
        }
        let family = address.count == 4 ? NL.inet : NL.inet6
        let oif = try index(route.device, operation)
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack | flags,
            header: NetlinkMessage.routeHeader(
                family: family, dstLength: UInt8(length), table: route.table < 256 ? UInt8(route.table) : 252,
                proto: UInt8(clamping: route.proto), scope: NL.scopeLink, type: NL.unicast))
        message.attribute(NL.rtaTable, uint32: UInt32(route.table))
        message.attribute(NL.rtaDst, address)
        message.attribute(NL.rtaOIF, uint32: UInt32(bitPattern: oif))
        return message
    }

    public func replaceRoute(_ route: Route) throws(HostNetError) {
        let operation = "replace route \(route)"
        try socket.request(
            try routeMessage(route, type: NL.newRoute, flags: NL.create | NL.replace, operation), operation)
    }

    public func deleteRoute(_ route: Route) throws(HostNetError) {
        let operation = "delete route \(route)"
        do {
            try socket.request(try routeMessage(route, type: NL.delRoute, flags: 0, operation), operation)
        } catch let error where error.errno == .noSuchProcess {
            throw HostNetError(.notFound, operation, detail: "no such route", errno: error.errno)
        }
    }

    // MARK: - Rules

    public func rules() throws(HostNetError) -> [Rule] {
        var rules: [Rule] = []
        for family in [NL.inet, NL.inet6] {
            let message = NetlinkMessage(
                type: NL.getRule, flags: NL.request | NL.dump, header: NetlinkMessage.ruleHeader(family: family))
            for (type, payload) in try socket.dump(message, "list rules")
            where type == NL.newRule && payload.count >= 12 {
                // Rules with an input device only: the ones hooks add (the kernel's defaults have none).
                let attributes = NetlinkMessage.attributes(payload.dropFirst(12))
                guard let device = attributes[NL.fraIfName].map({ cString($0) }) else { continue }
                let table =
                    attributes[NL.fraTable].map { Int(NetlinkMessage.get($0, 0, as: UInt32.self)) }
                    ?? Int(payload[payload.startIndex + 4])
                let priority = attributes[NL.fraPriority].map { Int(NetlinkMessage.get($0, 0, as: UInt32.self)) }
                rules.append(Rule(family: family == NL.inet ? 4 : 6, device: device, table: table, priority: priority))
            }
        }
        return rules
    }

    private func ruleMessage(
        _ rule: Rule, type: UInt16, flags: UInt16, _ operation: String
    ) throws(HostNetError) -> NetlinkMessage {
        try InterfaceName.check(rule.device, operation)
        guard rule.family == 4 || rule.family == 6 else {
            throw HostNetError(.invalid, operation, detail: "family must be 4 or 6")
        }
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack | flags,
            header: NetlinkMessage.ruleHeader(
                family: rule.family == 4 ? NL.inet : NL.inet6, table: rule.table < 256 ? UInt8(rule.table) : 252,
                action: NL.actionToTable))
        message.attribute(NL.fraIfName, string: rule.device)
        message.attribute(NL.fraTable, uint32: UInt32(rule.table))
        if let priority = rule.priority { message.attribute(NL.fraPriority, uint32: UInt32(priority)) }
        return message
    }

    public func addRule(_ rule: Rule) throws(HostNetError) {
        let operation = "add rule \(rule)"
        try socket.request(
            try ruleMessage(rule, type: NL.newRule, flags: NL.create | NL.exclusive, operation), operation)
    }

    public func deleteRule(_ rule: Rule) throws(HostNetError) {
        let operation = "delete rule \(rule)"
        do {
            try socket.request(try ruleMessage(rule, type: NL.delRule, flags: 0, operation), operation)
        } catch let error where error.errno == .noSuchFileOrDirectory {
            throw HostNetError(.notFound, operation, detail: "no such rule", errno: error.errno)
        }
    }

    // MARK: - Sysctls

    public func sysctl(_ key: String) throws(HostNetError) -> String? {
        try SysctlKey.check(key)
        do {
            let fd = try FileDescriptor.open(FilePath("/proc/sys/" + key), .readOnly, options: [.closeOnExec])
            return try fd.closeAfter {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
                var text = String(decoding: buffer[..<n], as: UTF8.self)
                while text.hasSuffix("\n") { text.removeLast() }
                return text
            }
        } catch let error as Errno where error == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw HostNetError(.kernel, "read sysctl \(key)", errno: error as? Errno)
        }
    }

    public func setSysctl(_ key: String, _ value: String) throws(HostNetError) {
        try SysctlKey.check(key)
        let operation = "set sysctl \(key)=\(value)"
        do {
            let fd = try FileDescriptor.open(FilePath("/proc/sys/" + key), .writeOnly, options: [.closeOnExec])
            try fd.closeAfter { _ = try fd.writeAll((value + "\n").utf8) }
        } catch let error as Errno where error == .noSuchFileOrDirectory {
            throw HostNetError(.notFound, operation, detail: "no such sysctl", errno: error)
        } catch {
            throw HostNetError(.kernel, operation, errno: error as? Errno)
        }
    }
}

/// The NUL-terminated string at the start of an attribute.
func cString(_ bytes: ArraySlice<UInt8>) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}

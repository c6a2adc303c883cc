/// Routes over rtnetlink (RTM_GETROUTE / RTM_NEWROUTE / RTM_DELROUTE), IPv4 and IPv6.
extension LinuxHost {
    /// The unicast device routes of one table (all tables with nil), IPv4 then IPv6.
    ///
    /// What is left out, because a ``Route`` cannot describe it: routes of other types (`local`,
    /// `broadcast`, `multicast`, `unreachable`, ... — the kernel's local table is mostly these),
    /// routes through a gateway or with several next hops (RTA_GATEWAY, RTA_MULTIPATH), routes
    /// without an output device, and cached clones. What stays includes the kernel's own device
    /// routes (`proto kernel`: a connected subnet, IPv6's `fe80::/64` on every link with IPv6).
    /// A route without RTA_DST is the default route, `0.0.0.0/0` or `::/0`.
    public func routes(table: Int?) throws(HostNetError) -> [Route] {
        let operation = "list routes"
        let names = Dictionary(try links().map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        var routes: [Route] = []
        for family in [NL.inet, NL.inet6] {
            let message = NetlinkMessage(
                type: NL.getRoute, flags: NL.request | NL.dump, header: NetlinkMessage.routeHeader(family: family))
            for reply in try netlink.dump(message, operation) where reply.type == NL.newRoute {
                guard let route = Self.route(reply.payload, names), table == nil || route.table == table else {
                    continue
                }
                routes.append(route)
            }
        }
        return routes
    }

    /// A listed route from an RTM_NEWROUTE payload (`rtmsg` and attributes), or nil for one that
    /// ``routes(table:)`` leaves out.
    static func route(_ payload: ArraySlice<UInt8>, _ names: [Int32: String]) -> Route? {
        guard payload.count >= 12 else { return nil }
        let header = Array(payload.prefix(12))
        let family = header[0]
        let cloned = NetlinkMessage.get(payload, 8, as: UInt32.self) & 0x200 != 0  // RTM_F_CLONED
        guard header[7] == NL.unicast, !cloned else { return nil }
        let attributes = NetlinkAttributes(payload.dropFirst(12))
        guard attributes[NL.rtaGateway] == nil, attributes[NL.rtaMultipath] == nil,
            let oif = attributes.uint32(NL.rtaOIF), let device = names[Int32(bitPattern: oif)]
        else { return nil }
        let address = attributes[NL.rtaDst].map { IPAddress.text(Array($0)) } ?? (family == NL.inet ? "0.0.0.0" : "::")
        return Route(
            destination: "\(address)/\(header[1])", device: device,
            table: Int(attributes.uint32(NL.rtaTable) ?? UInt32(header[4])), proto: Int(header[5]))
    }

    /// `ip route replace DEST dev DEV table T proto P` (scope link for IPv4): adds the route, or
    /// replaces the one with the same destination in that table. The device must be up.
    public func replaceRoute(_ route: Route) throws(HostNetError) {
        let operation = HostCall.routeReplace(route).description
        try netlink.request(
            try routeMessage(route, type: NL.newRoute, flags: NL.create | NL.replace, operation), operation)
    }

    /// `ip route del DEST dev DEV table T proto P`; a route that is not there is `.notFound`.
    public func deleteRoute(_ route: Route) throws(HostNetError) {
        let operation = HostCall.routeDel(route).description
        do {
            try netlink.request(try routeMessage(route, type: NL.delRoute, flags: 0, operation), operation)
        } catch let error where error.errno == .noSuchProcess {
            throw HostNetError(.notFound, operation, detail: "no such route", errno: error.errno)
        }
    }

    /// An RTM_NEWROUTE or RTM_DELROUTE for `route`. The destination may omit its length (a host
    /// route, /32 or /128).
    private func routeMessage(
        _ route: Route, type: UInt16, flags: UInt16, _ operation: String
    ) throws(HostNetError) -> NetlinkMessage {
        guard let (address, length) = IPAddress.prefix(route.destination) else {
            throw HostNetError(.invalid, operation, detail: "\(route.destination) is not an address or prefix")
        }
        guard let table = UInt32(exactly: route.table), table > 0 else {
            throw HostNetError(.invalid, operation, detail: "\(route.table) is not a routing table id")
        }
        guard let proto = UInt8(exactly: route.proto) else {
            throw HostNetError(.invalid, operation, detail: "\(route.proto) is not a route protocol (0-255)")
        }
        let oif = try index(of: route.device, operation)
        let family = address.count == 4 ? NL.inet : NL.inet6
        // As iproute2: a route without a gateway is scope link (IPv6 has no scopes), and a delete
        // matches any scope.
        let scope = type == NL.delRoute ? NL.scopeNowhere : family == NL.inet ? NL.scopeLink : NL.scopeUniverse
        var message = NetlinkMessage(
            type: type, flags: NL.request | NL.ack | flags,
            header: NetlinkMessage.routeHeader(
                family: family, dstLength: UInt8(length), table: table < 256 ? UInt8(table) : NL.tableCompat,
                proto: proto, scope: scope, type: NL.unicast))
        message.attribute(NL.rtaTable, uint32: table)
        message.attribute(NL.rtaDst, address)
        message.attribute(NL.rtaOIF, uint32: UInt32(bitPattern: oif))
        return message
    }
}

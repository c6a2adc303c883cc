/// An in-memory host for hook tests: links (state, MTU, MAC, master, kind), bridges with VLAN
/// filtering and per-port VLANs, routes per table, rules, addresses, proxy neighbours and
/// sysctls. It enforces what the kernel enforces that hooks rely on (a route needs an up device,
/// a master must be a bridge, bridge VLANs need filtering, see `FakeHost+Addresses.swift` for
/// addresses and proxy entries) and records every call it is asked to make.
///
/// Addresses (route destinations, interface addresses, proxy entries) are stored and listed in
/// the kernel's spelling (``IPAddress/canonical(_:)``, a bare destination as a host prefix), so
/// a hook that writes `2001:DB8:0::5` finds here what it finds on a node: `2001:db8::5/128`.
public final class FakeHost: HostNetwork {
    /// The whole state, comparable before and after.
    public struct State: Sendable, Hashable, Codable {
        public var links: [String: LinkState] = [:]
        public var vlans: [String: [BridgeVLAN]] = [:]
        public var routes: Set<Route> = []
        public var rules: [Rule] = []
        public var sysctls: [String: String] = [:]
        /// The links' addresses, as the calls store them: in the kernel's spelling, with their
        /// lengths. ``addresses(of:)`` lists them without the forms it leaves out (a test may put
        /// the kernel's own fe80::/64 here; no hook sees it).
        public var addresses: Set<InterfaceAddress> = []
        /// The proxy neighbour entries, in the kernel's spelling as the calls store them.
        public var proxyNeighbours: Set<ProxyNeighbour> = []

        public init() {}
    }

    public var state: State
    /// The namespace identity the host reports; a test changes it to stand for a reboot.
    public var namespace = "fake-boot/1"
    /// Routing table names (as `rt_tables` would define them), beside `main`, `local`, `default`.
    public var tables: [String: Int] = [:]
    /// Every write, in order, as a one-line description (`set_mtu tap0 1500`).
    public private(set) var calls: [String] = []
    /// Where the calls also go, shared with a fake switch when a test wants one sequence.
    public let log: FakeCallLog
    private var nextIndex: Int32 = 1
    /// The order addresses were added in, for the kernel's primary and secondary IPv4 addresses
    /// (not state a hook can see, so not in ``State``).
    var addressOrder: [InterfaceAddress] = []

    public init(state: State = State(), log: FakeCallLog = FakeCallLog()) {
        self.state = state
        self.log = log
        nextIndex = (state.links.values.map(\.index).max() ?? 0) + 1
    }

    /// Adds a link (test set-up; not recorded as a call).
    public func addLink(
        _ name: String, kind: String? = nil, up: Bool = false, mtu: Int = 1500, mac: String? = nil,
        master: String? = nil, vlanFiltering: Bool = false
    ) {
        let lastByte = String(nextIndex & 0xff, radix: 16)
        state.links[name] = LinkState(
            name: name, index: nextIndex, up: up, mtu: mtu,
            mac: mac ?? "52:54:00:00:00:" + (lastByte.count == 1 ? "0" : "") + lastByte, master: master,
            kind: kind, vlanFiltering: vlanFiltering)
        nextIndex += 1
    }

    /// Removes a link as the kernel does when a tap's last fd closes (test set-up; not recorded
    /// as a call): its routes, bridge VLANs, addresses, proxy neighbour entries and conf/neigh
    /// sysctls go with it, its ports leave it; policy rules naming it stay (the kernel keeps
    /// them, for a link of that name to come).
    public func removeLink(_ name: String) {
        state.links[name] = nil
        state.vlans[name] = nil
        state.routes = state.routes.filter { $0.device != name }
        state.addresses = state.addresses.filter { $0.device != name }
        addressOrder.removeAll { $0.device == name }
        state.proxyNeighbours = state.proxyNeighbours.filter { $0.device != name }
        for family in ["ipv4", "ipv6"] {
            for group in ["conf", "neigh"] {
                let prefix = "net/\(family)/\(group)/\(name)/"
                state.sysctls = state.sysctls.filter { !$0.key.hasPrefix(prefix) }
            }
        }
        for (port, link) in state.links where link.master == name {
            state.links[port]!.master = nil
            state.vlans[port] = nil
        }
    }

    public func namespaceIdentity() -> String { namespace }

    public func routingTable(_ name: String) throws(HostNetError) -> Int {
        let text = tables.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "\n")
        return try RoutingTableNames(files: [RoutingTableNames.File(path: "host.tables", text: text)])
            .table(name, searched: "host.tables")
    }

    func existing(_ name: String, _ operation: String) throws(HostNetError) -> LinkState {
        guard let link = state.links[name] else { throw HostNetError(.notFound, operation, detail: "no link \(name)") }
        return link
    }

    public func links() throws(HostNetError) -> [LinkState] { state.links.values.sorted { $0.index < $1.index } }
    public func link(_ name: String) throws(HostNetError) -> LinkState? { state.links[name] }

    /// Sets a link up or down; going down (from up) drops what the kernel drops then: the link's
    /// proxy neighbour entries and its IPv6 addresses (see ``linkWentDown(_:)``).
    public func setUp(_ name: String, _ up: Bool) throws(HostNetError) {
        let link = try existing(name, HostCall.setUp(name, up).description)
        record(.setUp(name, up))
        state.links[name]!.up = up
        if link.up && !up { linkWentDown(name) }
    }

    public func setMTU(_ name: String, _ mtu: Int) throws(HostNetError) {
        let call = HostCall.setMTU(name, mtu)
        _ = try existing(name, call.description)
        guard (68...65535).contains(mtu) else {
            throw HostNetError(.kernel, call.description, errno: .invalidArgument)
        }
        record(call)
        state.links[name]!.mtu = mtu
    }

    public func setMAC(_ name: String, _ mac: String) throws(HostNetError) {
        let operation = HostCall.setMAC(name, mac).description
        _ = try existing(name, operation)
        let parts = mac.split(separator: ":")
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else {
            throw HostNetError(.invalid, operation, detail: "not a MAC address")
        }
        record(.setMAC(name, mac.lowercased()))
        state.links[name]!.mac = mac.lowercased()
    }

    public func setMaster(_ name: String, _ master: String?) throws(HostNetError) {
        let operation = HostCall.setMaster(name, master).description
        _ = try existing(name, operation)
        if let master {
            guard try existing(master, operation).kind == "bridge" else {
                throw HostNetError(.kernel, operation, detail: "\(master) is not a bridge", errno: .notSupported)
            }
        }
        record(.setMaster(name, master))
        state.links[name]!.master = master
        // As the kernel does: a port leaves its VLANs with its bridge, and joins a filtering
        // bridge in the default VLAN 1 (vlan_default_pvid), untagged.
        state.vlans[name] = nil
        if let master, state.links[master]?.vlanFiltering == true {
            state.vlans[name] = [BridgeVLAN(vid: 1, pvid: true, untagged: true)]
        }
    }

    private func checkFiltering(_ name: String, _ operation: String) throws(HostNetError) {
        let link = try existing(name, operation)
        let bridge = link.kind == "bridge" ? link : link.master.flatMap { state.links[$0] }
        guard let bridge, bridge.vlanFiltering else {
            throw HostNetError(.unsupported, operation, detail: "\(name) is not on a bridge with VLAN filtering")
        }
    }

    public func bridgeVLANs(_ name: String) throws(HostNetError) -> [BridgeVLAN] {
        _ = try existing(name, "list bridge vlans of \(name)")
        return (state.vlans[name] ?? []).sorted { $0.vid < $1.vid }
    }

    public func addBridgeVLAN(_ name: String, _ vlan: BridgeVLAN) throws(HostNetError) {
        let operation = HostCall.bridgeVLANAdd(name, vlan).description
        try checkFiltering(name, operation)
        guard (1...4094).contains(vlan.vid) else { throw HostNetError(.invalid, operation, detail: "not a VLAN id") }
        record(.bridgeVLANAdd(name, vlan))
        var entries = (state.vlans[name] ?? []).filter { $0.vid != vlan.vid }
        if vlan.pvid { entries = entries.map { BridgeVLAN(vid: $0.vid, pvid: false, untagged: $0.untagged) } }
        entries.append(vlan)
        state.vlans[name] = entries
    }

    public func deleteBridgeVLAN(_ name: String, vid: Int) throws(HostNetError) {
        let operation = HostCall.bridgeVLANDel(name, vid: vid).description
        try checkFiltering(name, operation)
        guard state.vlans[name]?.contains(where: { $0.vid == vid }) == true else {
            throw HostNetError(.notFound, operation, detail: "no vlan \(vid) on \(name)")
        }
        record(.bridgeVLANDel(name, vid: vid))
        state.vlans[name]!.removeAll { $0.vid == vid }
    }

    /// The routes of one table (all with nil), destinations in the kernel's spelling.
    public func routes(table: Int?) throws(HostNetError) -> [Route] {
        state.routes.filter { table == nil || $0.table == table }.map(\.listed).sorted {
            $0.description < $1.description
        }
    }

    /// Adds the route or replaces the one to the same destination in its table, stored as the
    /// kernel lists it (a bare destination is a host prefix, an IPv6 one loses its host bits).
    /// As the kernel: an IPv4 destination with host bits is refused (EINVAL), and so is a link
    /// that is down (ENETDOWN).
    public func replaceRoute(_ route: Route) throws(HostNetError) {
        let operation = HostCall.routeReplace(route).description
        let new = try Self.checked(route, operation)
        guard try existing(route.device, operation).up else {
            throw HostNetError(.kernel, operation, detail: "device \(route.device) is down", errno: .networkDown)
        }
        record(.routeReplace(new))
        state.routes = state.routes.filter {
            let listed = $0.listed
            return !(listed.destination == new.destination && listed.table == new.table)
        }
        state.routes.insert(new)
    }

    /// Deletes the route (destination, device, table and proto all as listed); one that is not
    /// there is `.notFound`.
    public func deleteRoute(_ route: Route) throws(HostNetError) {
        let operation = HostCall.routeDel(route).description
        let old = try Self.checked(route, operation)
        guard let stored = state.routes.first(where: { $0.listed == old }) else {
            throw HostNetError(.notFound, operation, errno: .noSuchProcess)
        }
        record(.routeDel(old))
        state.routes.remove(stored)
    }

    /// `route` as listed, or the refusal LinuxHost or the kernel gives: no prefix (`.invalid`),
    /// an IPv4 destination with host bits (`.kernel`, EINVAL, the kernel's words: `ip route add
    /// 10.99.0.5/24` is refused so; IPv6 clears them instead).
    private static func checked(_ route: Route, _ operation: String) throws(HostNetError) -> Route {
        guard let (address, length) = IPAddress.prefix(route.destination) else {
            throw HostNetError(.invalid, operation, detail: "\(route.destination) is not an address or prefix")
        }
        guard address.count == 16 || IPAddress.masked(address, length) == address else {
            throw HostNetError(
                .kernel, operation, detail: "Invalid prefix for given prefix length", errno: .invalidArgument)
        }
        return route.listed
    }

    public func rules() throws(HostNetError) -> [Rule] { state.rules }

    public func addRule(_ rule: Rule) throws(HostNetError) {
        guard
            !state.rules.contains(where: {
                $0.family == rule.family && $0.device == rule.device && $0.table == rule.table
            })
        else {
            throw HostNetError(.kernel, HostCall.ruleAdd(rule).description, errno: .fileExists)
        }
        record(.ruleAdd(rule))
        state.rules.append(rule)
    }

    public func deleteRule(_ rule: Rule) throws(HostNetError) {
        guard
            let index = state.rules.firstIndex(where: {
                $0.family == rule.family && $0.device == rule.device && $0.table == rule.table
            })
        else { throw HostNetError(.notFound, HostCall.ruleDel(rule).description, errno: .noSuchFileOrDirectory) }
        record(.ruleDel(rule))
        state.rules.remove(at: index)
    }

    public func sysctl(_ key: String) throws(HostNetError) -> String? {
        try SysctlKey.check(key)
        return state.sysctls[key]
    }

    /// Writes a sysctl that exists. Turning `disable_ipv6` on for a link drops what the kernel
    /// drops then (see ``ipv6Disabled(_:)``).
    public func setSysctl(_ key: String, _ value: String) throws(HostNetError) {
        try SysctlKey.check(key)
        guard let before = state.sysctls[key] else {
            throw HostNetError(.notFound, HostCall.sysctl(key, value).description, detail: "no such sysctl")
        }
        record(.sysctl(key, value))
        state.sysctls[key] = value
        let parts = key.split(separator: "/")
        if parts.count == 5, parts[0...2] == ["net", "ipv6", "conf"], parts[4] == "disable_ipv6",
            !["all", "default"].contains(parts[3]), Self.isOn(value), !Self.isOn(before)
        {
            ipv6Disabled(String(parts[3]))
        }
    }

    /// Whether a sysctl's value is a number other than 0, as the kernel reads a switch.
    static func isOn(_ value: String?) -> Bool { (value.flatMap { Int($0) } ?? 0) != 0 }

    func record(_ call: HostCall) {
        calls.append(call.description)
        log.record(call.description)
    }
}

/// An in-memory host for hook tests: links (state, MTU, MAC, master, kind), bridges with VLAN
/// filtering and per-port VLANs, routes per table, rules and sysctls. It enforces what the
/// kernel enforces that hooks rely on (a route needs an up device, a master must be a bridge,
/// bridge VLANs need filtering) and records every call it is asked to make.
public final class FakeHost: HostNetwork {
    /// The whole state, comparable before and after.
    public struct State: Sendable, Hashable, Codable {
        public var links: [String: LinkState] = [:]
        public var vlans: [String: [BridgeVLAN]] = [:]
        public var routes: Set<Route> = []
        public var rules: [Rule] = []
        public var sysctls: [String: String] = [:]

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
    /// as a call): its routes, bridge VLANs and conf/neigh sysctls go with it, its ports leave
    /// it; policy rules naming it stay (the kernel keeps them, for a link of that name to come).
    public func removeLink(_ name: String) {
        state.links[name] = nil
        state.vlans[name] = nil
        state.routes = state.routes.filter { $0.device != name }
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

    private func existing(_ name: String, _ operation: String) throws(HostNetError) -> LinkState {
        guard let link = state.links[name] else { throw HostNetError(.notFound, operation, detail: "no link \(name)") }
        return link
    }

    public func links() throws(HostNetError) -> [LinkState] { state.links.values.sorted { $0.index < $1.index } }
    public func link(_ name: String) throws(HostNetError) -> LinkState? { state.links[name] }

    public func setUp(_ name: String, _ up: Bool) throws(HostNetError) {
        _ = try existing(name, "set \(name) \(up ? "up" : "down")")
        record("set_\(up ? "up" : "down") \(name)")
        state.links[name]!.up = up
    }

    public func setMTU(_ name: String, _ mtu: Int) throws(HostNetError) {
        _ = try existing(name, "set mtu \(mtu) on \(name)")
        guard (68...65535).contains(mtu) else {
            throw HostNetError(.kernel, "set mtu \(mtu) on \(name)", errno: .invalidArgument)
        }
        record("set_mtu \(name) \(mtu)")
        state.links[name]!.mtu = mtu
    }

    public func setMAC(_ name: String, _ mac: String) throws(HostNetError) {
        _ = try existing(name, "set mac \(mac) on \(name)")
        let parts = mac.split(separator: ":")
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else {
            throw HostNetError(.invalid, "set mac \(mac) on \(name)", detail: "not a MAC address")
        }
        record("set_mac \(name) \(mac.lowercased())")
        state.links[name]!.mac = mac.lowercased()
    }

    public func setMaster(_ name: String, _ master: String?) throws(HostNetError) {
        let operation = master.map { "set master \($0) on \(name)" } ?? "set nomaster on \(name)"
        _ = try existing(name, operation)
        if let master {
            guard try existing(master, operation).kind == "bridge" else {
                throw HostNetError(.kernel, operation, detail: "\(master) is not a bridge", errno: .notSupported)
            }
        }
        record(master.map { "set_master \(name) \($0)" } ?? "set_nomaster \(name)")
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
        let operation = "add bridge vlan \(vlan.vid) to \(name)"
        try checkFiltering(name, operation)
        guard (1...4094).contains(vlan.vid) else { throw HostNetError(.invalid, operation, detail: "not a VLAN id") }
        record(
            "bridge_vlan_add \(name) \(vlan.vid)\(vlan.pvid ? " pvid" : "")\(vlan.untagged ? " untagged" : "")")
        var entries = (state.vlans[name] ?? []).filter { $0.vid != vlan.vid }
        if vlan.pvid { entries = entries.map { BridgeVLAN(vid: $0.vid, pvid: false, untagged: $0.untagged) } }
        entries.append(vlan)
        state.vlans[name] = entries
    }

    public func deleteBridgeVLAN(_ name: String, vid: Int) throws(HostNetError) {
        let operation = "delete bridge vlan \(vid) from \(name)"
        try checkFiltering(name, operation)
        guard state.vlans[name]?.contains(where: { $0.vid == vid }) == true else {
            throw HostNetError(.notFound, operation, detail: "no vlan \(vid) on \(name)")
        }
        record("bridge_vlan_del \(name) \(vid)")
        state.vlans[name]!.removeAll { $0.vid == vid }
    }

    public func routes(table: Int?) throws(HostNetError) -> [Route] {
        state.routes.filter { table == nil || $0.table == table }.sorted { $0.description < $1.description }
    }

    public func replaceRoute(_ route: Route) throws(HostNetError) {
        let operation = "replace route \(route)"
        guard try existing(route.device, operation).up else {
            throw HostNetError(.kernel, operation, detail: "device \(route.device) is down", errno: .networkDown)
        }
        record("route_replace \(route)")
        state.routes = state.routes.filter { !($0.destination == route.destination && $0.table == route.table) }
        state.routes.insert(route)
    }

    public func deleteRoute(_ route: Route) throws(HostNetError) {
        guard state.routes.contains(route) else {
            throw HostNetError(.notFound, "delete route \(route)", errno: .noSuchProcess)
        }
        record("route_del \(route)")
        state.routes.remove(route)
    }

    public func rules() throws(HostNetError) -> [Rule] { state.rules }

    public func addRule(_ rule: Rule) throws(HostNetError) {
        guard
            !state.rules.contains(where: {
                $0.family == rule.family && $0.device == rule.device && $0.table == rule.table
            })
        else {
            throw HostNetError(.kernel, "add rule \(rule)", errno: .fileExists)
        }
        record("rule_add \(rule)")
        state.rules.append(rule)
    }

    public func deleteRule(_ rule: Rule) throws(HostNetError) {
        guard
            let index = state.rules.firstIndex(where: {
                $0.family == rule.family && $0.device == rule.device && $0.table == rule.table
            })
        else { throw HostNetError(.notFound, "delete rule \(rule)", errno: .noSuchFileOrDirectory) }
        record("rule_del \(rule)")
        state.rules.remove(at: index)
    }

    public func sysctl(_ key: String) throws(HostNetError) -> String? {
        try SysctlKey.check(key)
        return state.sysctls[key]
    }

    public func setSysctl(_ key: String, _ value: String) throws(HostNetError) {
        try SysctlKey.check(key)
        guard state.sysctls[key] != nil else {
            throw HostNetError(.notFound, "set sysctl \(key)", detail: "no such sysctl")
        }
        record("sysctl \(key)=\(value)")
        state.sysctls[key] = value
    }

    private func record(_ call: String) {
        calls.append(call)
        log.record(call)
    }
}

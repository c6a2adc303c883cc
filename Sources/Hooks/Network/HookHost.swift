import HostNet

/// The host as a hook sees it: reads go straight to the host; every change is first written to
/// the NIC's journal with what it replaces, then made (and its entry dropped again if the host
/// refuses it). In a dry run nothing is changed: each change is only described in `calls`.
public final class HookHost {
    public let network: HostNetwork
    public let ovs: OpenVSwitch?
    /// The journal changes go to; nil when they are not journaled (dry runs, a `down` function).
    public let journal: Journal?
    public let dryRun: Bool
    /// The NIC's tap: a shared (uplink) VLAN another tap already uses counts as taphouse's own.
    public let interface: String?
    /// Every change asked for, as one line each, in order.
    public private(set) var calls: [String] = []
    /// Links read during this hook call, kept up to date with the call's own changes: a hook
    /// asks about the same tap before each change, and a netlink round trip is the cost of a
    /// NIC. A HookHost lives for one call, in which only the hook changes these links.
    private var linkCache: [String: LinkState] = [:]

    public init(
        network: HostNetwork, ovs: OpenVSwitch?, journal: Journal?, interface: String? = nil, dryRun: Bool = false
    ) {
        self.network = network
        self.ovs = ovs
        self.journal = journal
        self.interface = interface
        self.dryRun = dryRun
    }

    /// Journals `entry`, then runs `change`; a refused change leaves no entry behind.
    private func change(_ entry: JournalEntry, _ apply: () throws(HostNetError) -> Void) throws {
        calls.append(entry.summary)
        if dryRun { return }
        try journal?.append(entry)
        do {
            try apply()
        } catch {
            try? journal?.dropLast()
            throw error
        }
    }

    /// The link, from this call's cache or the host.
    public func link(_ name: String) throws(HostNetError) -> LinkState? {
        if let cached = linkCache[name] { return cached }
        let link = try network.link(name)
        if let link { linkCache[name] = link }
        return link
    }

    private func existing(_ name: String, _ operation: String) throws(HostNetError) -> LinkState {
        guard let link = try link(name) else {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
        return link
    }

    /// Keeps the cache in step with a change this call made (a dry run changes nothing).
    private func changed(_ name: String, _ update: (inout LinkState) -> Void) {
        guard !dryRun, linkCache[name] != nil else { return }
        update(&linkCache[name]!)
    }

    public func setUp(_ name: String, _ up: Bool) throws {
        let was = try existing(name, "set \(name) \(up ? "up" : "down")").up
        try change(.linkUp(link: name, up: up, was: was)) { () throws(HostNetError) in try network.setUp(name, up) }
        changed(name) { $0.up = up }
    }

    public func setMTU(_ name: String, _ mtu: Int) throws {
        let was = try existing(name, "set mtu \(mtu) on \(name)").mtu
        try change(.mtu(link: name, mtu: mtu, was: was)) { () throws(HostNetError) in try network.setMTU(name, mtu) }
        changed(name) { $0.mtu = mtu }
    }

    public func setMAC(_ name: String, _ mac: String) throws {
        let was = try existing(name, "set mac \(mac) on \(name)").mac
        try change(.mac(link: name, mac: mac, was: was)) { () throws(HostNetError) in try network.setMAC(name, mac) }
        changed(name) { $0.mac = mac.lowercased() }
    }

    public func setMaster(_ name: String, _ master: String?) throws {
        let was = try existing(name, "set master on \(name)").master
        try change(.master(link: name, master: master, was: was)) { () throws(HostNetError) in
            try network.setMaster(name, master)
        }
        changed(name) { $0.master = master }
    }

    public func addBridgeVLAN(_ name: String, _ vlan: BridgeVLAN, shared: Bool) throws {
        var was = try network.bridgeVLANs(name).first { $0.vid == vlan.vid }
        // An uplink VLAN that another tap uses was added for that tap, not by the admin: it is
        // taphouse's, and goes with the last tap that needs it.
        if shared, was != nil,
            try JournalUndo.otherTapUses(vid: vlan.vid, port: name, except: interface, network: network)
        {
            was = nil
        }
        try change(.bridgeVLANAdded(link: name, vlan: vlan, was: was, shared: shared)) { () throws(HostNetError) in
            try network.addBridgeVLAN(name, vlan)
        }
    }

    public func deleteBridgeVLAN(_ name: String, vid: Int) throws {
        guard let was = try network.bridgeVLANs(name).first(where: { $0.vid == vid }) else {
            throw HostNetError(.notFound, "delete bridge vlan \(vid) from \(name)", detail: "no such vlan")
        }
        try change(.bridgeVLANDeleted(link: name, was: was)) { () throws(HostNetError) in
            try network.deleteBridgeVLAN(name, vid: vid)
        }
    }

    public func replaceRoute(_ route: Route) throws {
        let was = try network.routes(table: route.table).first { $0.destination == route.destination }
        try change(.routeReplaced(route: route, was: was)) { () throws(HostNetError) in try network.replaceRoute(route)
        }
    }

    public func deleteRoute(_ route: Route) throws {
        guard let was = try network.routes(table: route.table).first(where: { $0.destination == route.destination })
        else {
            throw HostNetError(.notFound, "delete route \(route)", detail: "no such route")
        }
        try change(.routeDeleted(was: was)) { () throws(HostNetError) in try network.deleteRoute(was) }
    }

    public func addRule(_ rule: Rule) throws {
        try change(.ruleAdded(rule: rule)) { () throws(HostNetError) in try network.addRule(rule) }
    }

    public func deleteRule(_ rule: Rule) throws {
        guard let was = try network.rules().first(where: { Self.same($0, rule) }) else {
            throw HostNetError(.notFound, "delete rule \(rule)", detail: "no such rule")
        }
        try change(.ruleDeleted(was: was)) { () throws(HostNetError) in try network.deleteRule(was) }
    }

    static func same(_ a: Rule, _ b: Rule) -> Bool {
        a.family == b.family && a.device == b.device && a.table == b.table
            && (b.priority == nil || a.priority == b.priority)
    }

    public func setSysctl(_ key: String, _ value: String) throws {
        guard let was = try network.sysctl(key) else {
            throw HostNetError(.notFound, "set sysctl \(key)", detail: "no such sysctl")
        }
        try change(.sysctl(key: key, value: value, was: was)) { () throws(HostNetError) in
            try network.setSysctl(key, value)
        }
    }

    func requireOVS(_ operation: String) throws(HostNetError) -> OpenVSwitch {
        guard let ovs else {
            throw HostNetError(.unsupported, operation, detail: "Open vSwitch is not available on this node")
        }
        return ovs
    }

    public func addOVSPort(bridge: String, port: String) throws {
        let ovs = try requireOVS("add ovs port \(port)")
        try change(.ovsPortAdded(bridge: bridge, port: port)) { () throws(HostNetError) in
            try ovs.addPort(bridge: bridge, port: port)
        }
    }

    public func deleteOVSPort(_ name: String) throws {
        let ovs = try requireOVS("delete ovs port \(name)")
        guard let was = try ovs.port(name) else {
            throw HostNetError(.notFound, "delete ovs port \(name)", detail: "no such port")
        }
        try change(.ovsPortDeleted(was: was)) { () throws(HostNetError) in try ovs.deletePort(name) }
    }

    public func setOVSPort(_ name: String, tag: Int?, trunks: [Int]) throws {
        let ovs = try requireOVS("set ovs port \(name)")
        guard let was = try ovs.port(name) else {
            throw HostNetError(.notFound, "set ovs port \(name)", detail: "no such port")
        }
        try change(.ovsPortSet(port: name, tag: tag, trunks: trunks, wasTag: was.tag, wasTrunks: was.trunks)) {
            () throws(HostNetError) in try ovs.setPort(name, tag: tag, trunks: trunks)
        }
    }

    /// Runs a command for what the API lacks; journaled for the record, never undone.
    public func exec(_ argv: [String], timeout: Duration, environment: [String]? = nil) throws -> CommandRunner.Output?
    {
        calls.append(JournalEntry.exec(argv: argv).summary)
        if dryRun { return nil }
        try journal?.append(.exec(argv: argv))
        return try BlockingCommand.run(argv, timeout: timeout, environment: environment)
    }
}

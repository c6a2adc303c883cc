import HostNet
import LuaKit
import QEMU

/// The node a spec case runs on: a fake host and a fake switch writing to one call log, built
/// from the case's `host` table, and its state as a table in the same shape for comparisons.
final class FakeNode {
    let log = FakeCallLog()
    let host: FakeHost
    let ovs: FakeOpenVSwitch

    static let linkFields: Set<String> = ["kind", "up", "mtu", "mac", "master", "vlan_filtering", "ipv6"]
    static let hostFields: Set<String> = ["links", "vlans", "routes", "rules", "sysctls", "ovs", "tables"]

    /// Builds the node `description` describes; `taps` (the NICs' interfaces) are added as tun
    /// links when the description leaves them out, as taphouse creates them before hooks run.
    init(_ description: SpecTable?, taps: [String]) throws(SpecError) {
        host = FakeHost(log: log)
        ovs = FakeOpenVSwitch(log: log)
        let description = description ?? SpecTable(emptyAt: "host")
        try description.only(Self.hostFields)
        var links = try description.named("links") ?? []
        for (offset, tap) in taps.enumerated() where !links.contains(where: { $0.name == tap }) {
            links.append((tap, ["kind": "tun", "mac": .string("aa:bb:cc:dd:ee:0\(offset + 1)")]))
        }
        var withoutIPv6: Set<String> = []
        for (name, value) in links {
            let link = try SpecTable(value, path: description.at("links") + ".\(name)")
            try link.only(Self.linkFields)
            host.addLink(
                name, kind: try link.string("kind"), up: try link.boolean("up") ?? false,
                mtu: try link.integer("mtu") ?? 1500,
                mac: try link.string("mac")?.lowercased(), master: try link.string("master"),
                vlanFiltering: try link.boolean("vlan_filtering") ?? false)
            if try link.boolean("ipv6") == false { withoutIPv6.insert(name) }
        }
        for (name, link) in host.state.links {
            if let master = link.master {
                guard let bridge = host.state.links[master] else {
                    throw SpecError(description.at("links") + ".\(name).master", "no link \(master) in host.links")
                }
                // As the kernel does: a port of a filtering bridge starts in VLAN 1, untagged.
                if bridge.vlanFiltering { host.state.vlans[name] = [BridgeVLAN(vid: 1, pvid: true, untagged: true)] }
            }
            addSysctls(of: name, ipv6: !withoutIPv6.contains(name))
        }
        for (name, value) in try description.named("tables") ?? [] {
            let path = description.at("tables") + ".\(name)"
            guard case .integer(let id) = value, (1...0xFFFF_FFFF).contains(id) else {
                throw SpecError(path, "a routing table id (1 to 2^32-1) expected, got \(value.typeName)")
            }
            guard RoutingTableNames.number(name) == nil else {
                throw SpecError(path, "a table name that is not a number expected")
            }
            host.tables[name] = Int(id)
        }
        for (port, value) in try description.named("vlans") ?? [] {
            let path = description.at("vlans") + ".\(port)"
            guard host.state.links[port] != nil else { throw SpecError(path, "no link \(port) in host.links") }
            host.state.vlans[port] = try Self.vlans(value, path: path)
        }
        for (offset, value) in (try description.list("routes") ?? []).enumerated() {
            host.state.routes.insert(try Self.route(value, path: description.at("routes") + "[\(offset + 1)]"))
        }
        for (offset, value) in (try description.list("rules") ?? []).enumerated() {
            host.state.rules.append(try Self.rule(value, path: description.at("rules") + "[\(offset + 1)]"))
        }
        for (key, value) in try description.named("sysctls") ?? [] {
            host.state.sysctls[key] = try Self.sysctlValue(value, path: description.at("sysctls") + ".\(key)")
        }
        if let switchTable = try description.table("ovs") {
            try switchTable.only(["bridges", "ports"])
            ovs.bridges = Set(try switchTable.strings("bridges") ?? [])
            for (name, value) in try switchTable.named("ports") ?? [] {
                ovs.ports[name] = try Self.port(name, value, path: switchTable.at("ports") + ".\(name)")
            }
        }
    }

    /// Every link has its conf sysctls, as under /proc/sys/net (IPv6 ones unless disabled).
    private func addSysctls(of name: String, ipv6: Bool) {
        host.state.sysctls["net/ipv4/conf/\(name)/proxy_arp"] = "0"
        host.state.sysctls["net/ipv4/conf/\(name)/forwarding"] = "0"
        if ipv6 {
            host.state.sysctls["net/ipv6/conf/\(name)/proxy_ndp"] = "0"
            host.state.sysctls["net/ipv6/conf/\(name)/forwarding"] = "0"
        }
    }

    /// A new tap, as taphouse creates one: a new link (a new index), down, with its sysctls.
    func addTap(_ name: String, mac: String) {
        host.addLink(name, kind: "tun", mac: mac)
        addSysctls(of: name, ipv6: true)
    }

    static func vlans(_ value: LuaValue, path: String) throws(SpecError) -> [BridgeVLAN] {
        guard let elements = value.arrayValue else { throw SpecError(path, "a list of VLAN entries expected") }
        var vlans: [BridgeVLAN] = []
        for (offset, element) in elements.enumerated() {
            let entry = try SpecTable(element, path: "\(path)[\(offset + 1)]")
            try entry.only(["vid", "pvid", "untagged"])
            guard let vid = try entry.integer("vid") else { throw SpecError(entry.at("vid"), "required") }
            vlans.append(
                BridgeVLAN(
                    vid: vid, pvid: try entry.boolean("pvid") ?? false, untagged: try entry.boolean("untagged") ?? false
                ))
        }
        return vlans.sorted { $0.vid < $1.vid }
    }

    static func route(_ value: LuaValue, path: String) throws(SpecError) -> Route {
        let entry = try SpecTable(value, path: path)
        try entry.only(["dst", "dev", "table", "proto"])
        guard let dst = try entry.string("dst") else { throw SpecError(entry.at("dst"), "required") }
        guard let dev = try entry.string("dev") else { throw SpecError(entry.at("dev"), "required") }
        let destination = dst.contains("/") ? dst : dst + (dst.contains(":") ? "/128" : "/32")
        return Route(
            destination: destination, device: dev, table: try entry.integer("table") ?? Route.mainTable,
            proto: try entry.integer("proto") ?? Route.staticProto)
    }

    static func rule(_ value: LuaValue, path: String) throws(SpecError) -> Rule {
        let entry = try SpecTable(value, path: path)
        try entry.only(["family", "dev", "table", "priority"])
        guard let dev = try entry.string("dev") else { throw SpecError(entry.at("dev"), "required") }
        guard let table = try entry.integer("table") else { throw SpecError(entry.at("table"), "required") }
        return Rule(
            family: try entry.integer("family") ?? 4, device: dev, table: table, priority: try entry.integer("priority")
        )
    }

    static func port(_ name: String, _ value: LuaValue, path: String) throws(SpecError) -> OVSPort {
        let entry = try SpecTable(value, path: path)
        try entry.only(["bridge", "tag", "trunks"])
        guard let bridge = try entry.string("bridge") else { throw SpecError(entry.at("bridge"), "required") }
        var trunks: [Int] = []
        for (offset, element) in (try entry.list("trunks") ?? []).enumerated() {
            guard case .integer(let vid) = element else {
                throw SpecError(
                    entry.at("trunks") + "[\(offset + 1)]", "an integer expected, got \(element.typeName)")
            }
            trunks.append(Int(vid))
        }
        return OVSPort(name: name, bridge: bridge, tag: try entry.integer("tag"), trunks: trunks)
    }

    /// A sysctl's value as the kernel shows it: text (a spec may write `1` for `"1"`).
    static func sysctlValue(_ value: LuaValue, path: String) throws(SpecError) -> String {
        switch value {
        case .string(let s): return s
        case .integer(let i): return String(i)
        default: throw SpecError(path, "a string or an integer expected, got \(value.typeName)")
        }
    }

    /// The whole state, in the shape of a spec's `host` table.
    var snapshot: LuaValue {
        var links: [LuaKey: LuaValue] = [:]
        for (name, link) in host.state.links {
            var fields: [LuaKey: LuaValue] = [
                "up": .boolean(link.up), "mtu": .integer(Int64(link.mtu)),
                "vlan_filtering": .boolean(link.vlanFiltering),
            ]
            if let kind = link.kind { fields["kind"] = .string(kind) }
            if let mac = link.mac { fields["mac"] = .string(mac) }
            if let master = link.master { fields["master"] = .string(master) }
            links[.string(name)] = .map(fields)
        }
        var vlans: [LuaKey: LuaValue] = [:]
        for (port, entries) in host.state.vlans where !entries.isEmpty {
            vlans[.string(port)] = .array(entries.sorted { $0.vid < $1.vid }.map(NetModule.value))
        }
        var ports: [LuaKey: LuaValue] = [:]
        for (name, port) in ovs.ports { ports[.string(name)] = Self.value(port) }
        return [
            "links": .map(links), "vlans": .map(vlans),
            "routes": .array(host.state.routes.sorted { $0.description < $1.description }.map(NetModule.value)),
            // As the kernel lists them: by priority (the order they were added in is not state).
            "rules": .array(
                host.state.rules.sorted {
                    ($0.priority ?? Int.max, $0.description) < ($1.priority ?? Int.max, $1.description)
                }
                .map(NetModule.value)),
            "sysctls": .map(
                Dictionary(
                    uniqueKeysWithValues: host.state.sysctls.map { (LuaKey.string($0.key), LuaValue.string($0.value)) })
            ),
            "ovs": ["bridges": .array(ovs.bridges.sorted().map(LuaValue.string)), "ports": .map(ports)],
        ]
    }

    static func value(_ port: OVSPort) -> LuaValue {
        var fields: [LuaKey: LuaValue] = [
            "bridge": .string(port.bridge), "trunks": .array(port.trunks.map { .integer(Int64($0)) }),
        ]
        if let tag = port.tag { fields["tag"] = .integer(Int64(tag)) }
        return .map(fields)
    }
}

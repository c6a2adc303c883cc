import HostNet
import LuaKit
import QEMU

/// The node a spec case runs on: a fake host and a fake switch writing to one call log, built
/// from the case's `host` table, and its state as a table in the same shape for comparisons.
final class FakeNode {
    let log = FakeCallLog()
    let host: FakeHost
    let ovs: FakeOpenVSwitch
    let files: FakeFiles

    static let linkFields: Set<String> = ["kind", "up", "mtu", "mac", "master", "vlan_filtering", "ipv6"]
    static let hostFields: Set<String> = [
        "links", "vlans", "routes", "rules", "sysctls", "ovs", "tables", "addresses", "proxy_neighbours", "files",
        "file_dirs",
    ]

    /// Builds the node `description` describes; `taps` (the NICs' interfaces) are added as tun
    /// links when the description leaves them out, as taphouse creates them before hooks run.
    init(_ description: SpecTable?, taps: [String]) throws(SpecError) {
        host = FakeHost(log: log)
        ovs = FakeOpenVSwitch(log: log)
        let description = description ?? SpecTable(emptyAt: "host")
        try description.only(Self.hostFields)
        files = FakeFiles(roots: try description.strings("file_dirs") ?? [], log: log)
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
        for (offset, value) in (try description.list("addresses") ?? []).enumerated() {
            let address = try Self.address(value, path: description.at("addresses") + "[\(offset + 1)]")
            guard host.state.links[address.device] != nil else {
                throw SpecError(
                    description.at("addresses") + "[\(offset + 1)]", "no link \(address.device) in host.links")
            }
            host.state.addresses.insert(address)
        }
        for (offset, value) in (try description.list("proxy_neighbours") ?? []).enumerated() {
            host.state.proxyNeighbours.insert(
                try Self.neighbour(value, path: description.at("proxy_neighbours") + "[\(offset + 1)]"))
        }
        for (path, value) in try description.named("files") ?? [] {
            files.files[path] = try Self.file(value, path: description.at("files") + "[\"\(path)\"]")
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
        guard let canonical = IPAddress.canonical(dst) else {
            throw SpecError(entry.at("dst"), "\(dst) is not an IP address or prefix")
        }
        let destination = canonical.contains("/") ? canonical : canonical + (canonical.contains(":") ? "/128" : "/32")
        return Route(
            destination: destination, device: dev, table: try entry.integer("table") ?? Route.mainTable,
            proto: try entry.integer("proto") ?? Route.staticProto
        ).listed
    }

    /// `{ address = "192.0.2.1/24", dev = "tap0" }`, in the kernel's spelling (a bare address is a
    /// host prefix).
    static func address(_ value: LuaValue, path: String) throws(SpecError) -> InterfaceAddress {
        let entry = try SpecTable(value, path: path)
        try entry.only(["address", "dev"])
        guard let text = try entry.string("address") else { throw SpecError(entry.at("address"), "required") }
        guard let dev = try entry.string("dev") else { throw SpecError(entry.at("dev"), "required") }
        guard let canonical = IPAddress.canonical(text) else {
            throw SpecError(entry.at("address"), "\(text) is not an IP address or prefix")
        }
        let address = canonical.contains("/") ? canonical : canonical + (canonical.contains(":") ? "/128" : "/32")
        return InterfaceAddress(address: address, device: dev)
    }

    /// `{ proxy = "2001:db8::5", dev = "tap0" }`, in the kernel's spelling.
    static func neighbour(_ value: LuaValue, path: String) throws(SpecError) -> ProxyNeighbour {
        let entry = try SpecTable(value, path: path)
        try entry.only(["proxy", "dev"])
        guard let text = try entry.string("proxy") else { throw SpecError(entry.at("proxy"), "required") }
        guard let dev = try entry.string("dev") else { throw SpecError(entry.at("dev"), "required") }
        guard let canonical = IPAddress.canonical(text), !canonical.contains("/") else {
            throw SpecError(entry.at("proxy"), "\(text) is not an IP address")
        }
        return ProxyNeighbour(address: canonical, device: dev)
    }

    /// A file: its text (mode 0644), or `{ text = ..., mode = "0600" }`.
    static func file(_ value: LuaValue, path: String) throws(SpecError) -> FileContents {
        if case .string(let text) = value { return FileContents(bytes: Array(text.utf8), mode: 0o644) }
        let entry = try SpecTable(value, path: path)
        try entry.only(["text", "mode"])
        guard let text = try entry.string("text") else { throw SpecError(entry.at("text"), "required") }
        let mode = try entry.string("mode").map { Int($0, radix: 8) } ?? 0o644
        guard let mode else { throw SpecError(entry.at("mode"), "octal digits (\"0644\") expected") }
        return FileContents(bytes: Array(text.utf8), mode: mode)
    }

    static func value(_ file: FileContents) -> LuaValue {
        ["text": .string(String(decoding: file.bytes, as: UTF8.self)), "mode": .string(String(file.mode, radix: 8))]
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
            "routes": .array(
                host.state.routes.map(\.listed).sorted { $0.description < $1.description }.map(NetModule.value)),
            "addresses": .array(((try? host.addresses(of: nil)) ?? []).map(NetModule.value)),
            "proxy_neighbours": .array(((try? host.proxyNeighbours()) ?? []).map(NetModule.value)),
            "files": .map(
                Dictionary(uniqueKeysWithValues: files.files.map { (LuaKey.string($0.key), Self.value($0.value)) })),
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

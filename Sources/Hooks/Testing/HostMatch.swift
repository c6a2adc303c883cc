import HostNet
import LuaKit
import QEMU

/// Compares a spec's `expect.host` with a fake node. Only what the spec lists is compared: a
/// link's named fields, a port's VLAN list, the route and rule lists when given, named sysctls,
/// Open vSwitch bridges and named ports, the address and proxy neighbour lists when given, named
/// files. `name = false` means the link, port or file must be gone.
enum HostMatch {
    /// One line per difference, naming the field, what was expected and what is there.
    static func mismatches(_ expected: SpecTable, _ node: FakeNode) throws(SpecError) -> [String] {
        try expected.only(FakeNode.hostFields)
        var found: [String] = []
        func differ(_ path: String, _ want: String, _ got: String) {
            found.append("\(path): expected \(want), got \(got)")
        }
        let state = node.host.state
        for (name, value) in try expected.named("links") ?? [] {
            let path = expected.at("links") + ".\(name)"
            let actual = state.links[name]
            if value == .boolean(false) {
                if actual != nil { differ(path, "no such link", "a link") }
                continue
            }
            guard let actual else {
                differ(path, "a link", "none")
                continue
            }
            let fields = try SpecTable(value, path: path)
            try fields.only(FakeNode.linkFields.subtracting(["ipv6"]))
            if let kind = try fields.string("kind"), kind != actual.kind {
                differ(fields.at("kind"), kind, actual.kind ?? "none")
            }
            if let up = try fields.boolean("up"), up != actual.up { differ(fields.at("up"), "\(up)", "\(actual.up)") }
            if let mtu = try fields.integer("mtu"), mtu != actual.mtu {
                differ(fields.at("mtu"), "\(mtu)", "\(actual.mtu)")
            }
            if let mac = try fields.string("mac")?.lowercased(), mac != actual.mac {
                differ(fields.at("mac"), mac, actual.mac ?? "none")
            }
            switch fields["master"] {
            case .nil: break
            case .boolean(false):
                if let master = actual.master { differ(fields.at("master"), "none (false)", master) }
            case .string(let master):
                if master != actual.master { differ(fields.at("master"), master, actual.master ?? "none") }
            case let other:
                throw SpecError(fields.at("master"), "a string or false expected, got \(other.typeName)")
            }
            if let filtering = try fields.boolean("vlan_filtering"), filtering != actual.vlanFiltering {
                differ(fields.at("vlan_filtering"), "\(filtering)", "\(actual.vlanFiltering)")
            }
        }
        for (port, value) in try expected.named("vlans") ?? [] {
            let path = expected.at("vlans") + ".\(port)"
            let want = try FakeNode.vlans(value, path: path)
            let got = (state.vlans[port] ?? []).sorted { $0.vid < $1.vid }
            if want != got { differ(path, describe(want.map(NetModule.value)), describe(got.map(NetModule.value))) }
        }
        if let routes = try expected.list("routes") {
            var want: [Route] = []
            for (offset, value) in routes.enumerated() {
                want.append(try FakeNode.route(value, path: expected.at("routes") + "[\(offset + 1)]"))
            }
            let got = Set(state.routes.map(\.listed))
            if Set(want) != got {
                differ(
                    expected.at("routes"), describe(want.map(NetModule.value)),
                    describe(got.sorted { $0.description < $1.description }.map(NetModule.value)))
            }
        }
        if let addresses = try expected.list("addresses") {
            var want: [InterfaceAddress] = []
            for (offset, value) in addresses.enumerated() {
                want.append(try FakeNode.address(value, path: expected.at("addresses") + "[\(offset + 1)]"))
            }
            let got = (try? node.host.addresses(of: nil)) ?? []
            if Set(want) != Set(got) {
                differ(
                    expected.at("addresses"), describe(want.map(NetModule.value)), describe(got.map(NetModule.value)))
            }
        }
        if let neighbours = try expected.list("proxy_neighbours") {
            var want: [ProxyNeighbour] = []
            for (offset, value) in neighbours.enumerated() {
                want.append(try FakeNode.neighbour(value, path: expected.at("proxy_neighbours") + "[\(offset + 1)]"))
            }
            let got = (try? node.host.proxyNeighbours()) ?? []
            if Set(want) != Set(got) {
                differ(
                    expected.at("proxy_neighbours"), describe(want.map(NetModule.value)),
                    describe(got.map(NetModule.value)))
            }
        }
        for (path, value) in try expected.named("files") ?? [] {
            let at = expected.at("files") + "[\"\(path)\"]"
            let got = node.files.files[path]
            if value == .boolean(false) {
                if got != nil { differ(at, "no such file", "a file") }
                continue
            }
            let want = try FakeNode.file(value, path: at)
            if want != got {
                differ(at, describe(FakeNode.value(want)), got.map { describe(FakeNode.value($0)) } ?? "none")
            }
        }
        if let rules = try expected.list("rules") {
            var want: [Rule] = []
            for (offset, value) in rules.enumerated() {
                want.append(try FakeNode.rule(value, path: expected.at("rules") + "[\(offset + 1)]"))
            }
            if !sameRules(want, state.rules) {
                differ(
                    expected.at("rules"), describe(want.map(NetModule.value)),
                    describe(state.rules.map(NetModule.value)))
            }
        }
        for (key, value) in try expected.named("sysctls") ?? [] {
            let path = expected.at("sysctls") + ".\(key)"
            let got = state.sysctls[key]
            if value == .boolean(false) {
                if let got { differ(path, "no such sysctl", got) }
                continue
            }
            let want = try FakeNode.sysctlValue(value, path: path)
            if want != got { differ(path, want, got ?? "none") }
        }
        if let switchTable = try expected.table("ovs") {
            try switchTable.only(["bridges", "ports"])
            if let bridges = try switchTable.strings("bridges"), Set(bridges) != node.ovs.bridges {
                differ(
                    switchTable.at("bridges"), bridges.sorted().joined(separator: ", "),
                    node.ovs.bridges.sorted().joined(separator: ", "))
            }
            for (name, value) in try switchTable.named("ports") ?? [] {
                let path = switchTable.at("ports") + ".\(name)"
                let got = node.ovs.ports[name]
                if value == .boolean(false) {
                    if got != nil { differ(path, "no such port", "a port") }
                    continue
                }
                let want = try FakeNode.port(name, value, path: path)
                if want != got {
                    differ(path, describe(FakeNode.value(want)), got.map { describe(FakeNode.value($0)) } ?? "none")
                }
            }
        }
        return found
    }

    /// Rules as a multiset; an expected rule without a priority matches any priority.
    static func sameRules(_ want: [Rule], _ got: [Rule]) -> Bool {
        guard want.count == got.count else { return false }
        var left = got
        for rule in want {
            guard
                let index = left.firstIndex(where: {
                    $0.family == rule.family && $0.device == rule.device && $0.table == rule.table
                        && (rule.priority == nil || $0.priority == rule.priority)
                })
            else { return false }
            left.remove(at: index)
        }
        return true
    }

    static func describe(_ values: [LuaValue]) -> String { describe(.array(values)) }

    static func describe(_ value: LuaValue) -> String { (try? value.json(pretty: false)) ?? "\(value)" }
}

import HostNet
import LuaKit

/// `taphouse.net`: links, bridge ports and VLANs, routes and rules, natively (netlink).
///
/// ```lua
/// local net = require "taphouse.net"
/// net.set_mtu(nic.INTERFACE, net.mtu(nic.LINK))
/// net.set_master(nic.INTERFACE, nic.LINK)
/// net.set_link(nic.INTERFACE, { up = true, mtu = 1500, master = nic.LINK })  -- one request
/// net.route_replace { dst = nic.IP, dev = nic.INTERFACE, table = nic.LINK }
/// ```
/// Every change is journaled with what it replaced, so `down` can undo it.
public enum NetModule {
    public static let name = "taphouse.net"

    public static func module(_ context: HookContext) -> LuaModule {
        func host(_ args: LuaArguments) throws -> HookHost { try context.requireHost(args.functionName) }
        let functions: [String: LuaFunction] = [
            "link": { args in
                guard let link = try host(args).link(try args.string(1)) else { return [.nil] }
                return [value(link)]
            },
            "links": { args in [.array(try host(args).links().map(value))] },
            "set_up": { args in
                try host(args).setUp(try args.string(1), true)
                return []
            },
            "set_down": { args in
                try host(args).setUp(try args.string(1), false)
                return []
            },
            "mtu": { args in [.integer(Int64(try existing(host(args), try args.string(1)).mtu))] },
            "set_mtu": { args in
                try host(args).setMTU(try args.string(1), Int(try args.integer(2)))
                return []
            },
            "mac": { args in [try existing(host(args), try args.string(1)).mac.map(LuaValue.string) ?? .nil] },
            "set_mac": { args in
                try host(args).setMAC(try args.string(1), try args.string(2))
                return []
            },
            "set_master": { args in
                try host(args).setMaster(try args.string(1), try args.string(2))
                return []
            },
            "set_nomaster": { args in
                try host(args).setMaster(try args.string(1), nil)
                return []
            },
            "set_link": { args in
                try host(args).changeLink(try args.string(1), try linkChange(args))
                return []
            },
            "ports": { args in
                let bridge = try args.string(1)
                return [.array(try host(args).links().filter { $0.master == bridge }.map { .string($0.name) })]
            },
            "vlan_filtering": { args in [.boolean(try existing(host(args), try args.string(1)).vlanFiltering)] },
            "bridge_vlans": { args in
                [.array(try host(args).bridgeVLANs(try args.string(1)).map(value))]
            },
            "bridge_vlan_add": { args in
                let options = try args.optionalTable(3) ?? .map([:])
                let vlan = BridgeVLAN(
                    vid: Int(try args.integer(2)), pvid: options["pvid"].boolValue ?? false,
                    untagged: options["untagged"].boolValue ?? false)
                try host(args).addBridgeVLAN(try args.string(1), vlan, shared: options["shared"].boolValue ?? false)
                return []
            },
            "bridge_vlan_del": { args in
                try host(args).deleteBridgeVLAN(try args.string(1), vid: Int(try args.integer(2)))
                return []
            },
            "routes": { args in
                let table = args.isNil(1) ? nil : try tableID(try args[1], try host(args), args, 1)
                return [.array(try host(args).routes(table: table).map(value))]
            },
            "route_replace": { args in
                try host(args).replaceRoute(try route(args, try host(args)))
                return []
            },
            "route_del": { args in
                try host(args).deleteRoute(try route(args, try host(args)))
                return []
            },
            "table": { args in
                guard !args.isNil(1) else { throw args.badArgument(1, "a routing table name or number expected") }
                return [.integer(Int64(try tableID(try args[1], try host(args), args, 1)))]
            },
            "rules": { args in [.array(try host(args).rules().map(value))] },
            "rule_add": { args in
                try host(args).addRule(try rule(args, try host(args)))
                return []
            },
            "rule_del": { args in
                try host(args).deleteRule(try rule(args, try host(args)))
                return []
            },
            "addresses": { args in
                let name = args.isNil(1) ? nil : try args.string(1)
                return [.array(try host(args).addresses(of: name).map(value))]
            },
            "address_add": { args in
                try host(args).addAddress(try address(args, "address_add"))
                return []
            },
            "address_replace": { args in
                try host(args).replaceAddress(try address(args, "address_replace"))
                return []
            },
            "address_del": { args in
                try host(args).deleteAddress(try address(args, "address_del"))
                return []
            },
            "proxy_neighbours": { args in [.array(try host(args).proxyNeighbours().map(value))] },
            "neigh_add": { args in
                try host(args).addProxyNeighbour(try neighbour(args, "neigh_add"))
                return []
            },
            "neigh_del": { args in
                try host(args).deleteProxyNeighbour(try neighbour(args, "neigh_del"))
                return []
            },
            "eui64": { args in
                do {
                    return [.string(try EUI64.address(mac: try args.string(1), prefix: try args.string(2)))]
                } catch let failure as EUI64.Failure {
                    throw args.badArgument(1, failure.description)
                }
            },
        ]
        return LuaModule(name: name, functions: functions, values: ["MAIN_TABLE": .integer(Int64(Route.mainTable))])
    }

    static func existing(_ host: HookHost, _ name: String) throws -> LinkState {
        guard let link = try host.link(name) else {
            throw HostNetError(.notFound, "link \(name)", detail: "no such link")
        }
        return link
    }

    static func value(_ link: LinkState) -> LuaValue {
        var fields: [LuaKey: LuaValue] = [
            "name": .string(link.name), "up": .boolean(link.up), "mtu": .integer(Int64(link.mtu)),
            "vlan_filtering": .boolean(link.vlanFiltering),
        ]
        if let mac = link.mac { fields["mac"] = .string(mac) }
        if let master = link.master { fields["master"] = .string(master) }
        if let kind = link.kind { fields["kind"] = .string(kind) }
        return .map(fields)
    }

    static func value(_ vlan: BridgeVLAN) -> LuaValue {
        ["vid": .integer(Int64(vlan.vid)), "pvid": .boolean(vlan.pvid), "untagged": .boolean(vlan.untagged)]
    }

    static func value(_ route: Route) -> LuaValue {
        [
            "dst": .string(route.destination), "dev": .string(route.device), "table": .integer(Int64(route.table)),
            "proto": .integer(Int64(route.proto)),
        ]
    }

    static func value(_ rule: Rule) -> LuaValue {
        var fields: [LuaKey: LuaValue] = [
            "family": .integer(Int64(rule.family)), "dev": .string(rule.device), "table": .integer(Int64(rule.table)),
        ]
        if let priority = rule.priority { fields["priority"] = .integer(Int64(priority)) }
        return .map(fields)
    }

    /// A routing table: a number, or a string as `ip` reads it (`nic.LINK` is one): a name from
    /// the node's `rt_tables` files (`main`, `local`, `default` always), or a number.
    static func tableID(_ value: LuaValue, _ host: HookHost, _ args: LuaArguments, _ position: Int) throws -> Int {
        switch value {
        case .nil: return Route.mainTable
        case .integer(let i) where (1...0xFFFF_FFFF).contains(i): return Int(i)
        case .string(let name): return try host.network.routingTable(name)
        default:
            throw args.badArgument(position, "routing table must be a number or a name (rt_tables)")
        }
    }

    /// `set_link`'s table: `mac`, `mtu`, `up` (boolean), `master` (a bridge, or false for none).
    static func linkChange(_ args: LuaArguments) throws -> LinkChange {
        guard case .map(let fields) = try args.table(2) else { return LinkChange() }
        var change = LinkChange()
        let wanted: [LuaKey: String] = [
            "mac": "a string", "mtu": "an integer", "up": "a boolean", "master": "a string or false",
        ]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            switch (key, value) {
            case ("mac", .string(let mac)): change.mac = mac
            case ("mtu", .integer(let mtu)): change.mtu = Int(clamping: mtu)
            case ("up", .boolean(let up)): change.up = up
            case ("master", .string(let bridge)): change.master = .bridge(bridge)
            case ("master", .boolean(false)): change.master = LinkChange.Master.none
            default:
                guard let type = wanted[key] else {
                    throw args.badArgument(2, "unknown field '\(key)' (set_link takes mac, mtu, up, master)")
                }
                throw args.badArgument(2, "field '\(key)' must be \(type), not \(value.typeName)")
            }
        }
        return change
    }

    /// Argument 1, a table of named fields: one not in `allowed` is refused, naming it.
    static func fields(_ args: LuaArguments, _ allowed: [String]) throws -> LuaValue {
        let table = try args.table(1)
        if case .map(let fields) = table {
            for key in fields.keys.sorted() where !allowed.contains(key.description) {
                throw args.badArgument(
                    1, "unknown field '\(key)' (\(args.functionName) takes \(allowed.joined(separator: ", ")))")
            }
        }
        return table
    }

    /// An address or prefix as the kernel writes it (`2001:DB8::1` is `2001:db8::1`), refused
    /// naming the field when it is neither; a bare address gets its host prefix (/32, /128) when
    /// `hostPrefix`, as `ip` reads one.
    static func canonical(
        _ text: String?, field: String, _ args: LuaArguments, hostPrefix: Bool = true
    ) throws -> String {
        guard let text else { throw args.badArgument(1, "field '\(field)' (an address) is required") }
        guard let canonical = IPAddress.canonical(text) else {
            throw args.badArgument(1, "field '\(field)': \(text) is not an IP address or prefix")
        }
        guard hostPrefix, !canonical.contains("/") else { return canonical }
        return canonical + (canonical.contains(":") ? "/128" : "/32")
    }

    static func device(_ spec: LuaValue, _ args: LuaArguments) throws -> String {
        guard let dev = spec["dev"].stringValue else { throw args.badArgument(1, "field 'dev' (a device) is required") }
        return dev
    }

    /// `{ address = "192.0.2.1/24", dev = "tap0" }`.
    static func address(_ args: LuaArguments, _ function: String) throws -> InterfaceAddress {
        let spec = try fields(args, ["address", "dev"])
        return InterfaceAddress(
            address: try canonical(spec["address"].stringValue, field: "address", args), device: try device(spec, args))
    }

    /// `{ proxy = "2001:db8::5", dev = "tap0" }`, as `ip neigh add proxy ADDRESS dev DEV`.
    static func neighbour(_ args: LuaArguments, _ function: String) throws -> ProxyNeighbour {
        let spec = try fields(args, ["proxy", "dev"])
        let address = try canonical(spec["proxy"].stringValue, field: "proxy", args, hostPrefix: false)
        guard !address.contains("/") else {
            throw args.badArgument(1, "field 'proxy': \(address) is a prefix; a proxy entry is one address")
        }
        return ProxyNeighbour(address: address, device: try device(spec, args))
    }

    static func value(_ address: InterfaceAddress) -> LuaValue {
        ["address": .string(address.address), "dev": .string(address.device)]
    }

    static func value(_ neighbour: ProxyNeighbour) -> LuaValue {
        ["proxy": .string(neighbour.address), "dev": .string(neighbour.device)]
    }

    static func route(_ args: LuaArguments, _ host: HookHost) throws -> Route {
        let spec = try fields(args, ["dst", "dev", "table", "proto"])
        let destination = try canonical(spec["dst"].stringValue, field: "dst", args)
        let dev = try device(spec, args)
        let proto = spec["proto"] == .nil ? Route.staticProto : Int(spec["proto"].integerValue ?? -1)
        guard (0...255).contains(proto) else { throw args.badArgument(1, "field 'proto' must be 0-255") }
        return Route(
            destination: destination, device: dev, table: try tableID(spec["table"], host, args, 1), proto: proto)
    }

    static func rule(_ args: LuaArguments, _ host: HookHost) throws -> Rule {
        let spec = try fields(args, ["family", "dev", "table", "priority"])
        let dev = try device(spec, args)
        let family = Int(spec["family"].integerValue ?? 4)
        guard family == 4 || family == 6 else { throw args.badArgument(1, "field 'family' must be 4 or 6") }
        return Rule(
            family: family, device: dev, table: try tableID(spec["table"], host, args, 1),
            priority: spec["priority"].integerValue.map { Int($0) })
    }
}

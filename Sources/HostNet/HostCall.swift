/// A change to the host in the one notation taphouse writes it in everywhere: what `hooks run`
/// prints, what a hook spec's `calls` compares, the journal's summaries, the undo's lines and
/// the words of errors. It is the hook API's function name and its arguments as words, so a
/// line says which call to look for in a hook: `set_mtu tap0 9000`, `route_replace
/// 192.0.2.5/32 dev tap0 table 100 proto 4`, `rule_add ipv4 iif tap0 table 100`.
public enum HostCall: Sendable, Hashable, CustomStringConvertible {
    case setUp(String, Bool)
    case setMTU(String, Int)
    case setMAC(String, String)
    /// Joins a bridge; `nil` leaves it (`set_nomaster`).
    case setMaster(String, String?)
    case bridgeVLANAdd(String, BridgeVLAN)
    case bridgeVLANDel(String, vid: Int)
    case routeReplace(Route)
    case routeDel(Route)
    case ruleAdd(Rule)
    case ruleDel(Rule)
    case addressAdd(InterfaceAddress)
    case addressReplace(InterfaceAddress)
    case addressDel(InterfaceAddress)
    case neighAdd(ProxyNeighbour)
    case neighDel(ProxyNeighbour)
    case sysctl(String, String)
    case ovsAddPort(bridge: String, port: String)
    case ovsDelPort(String)
    case ovsSetPort(String, tag: Int?, trunks: [Int])
    case exec([String])
    /// A file written whole, with its permission bits.
    case fileWrite(String, mode: Int)
    /// A file removed (the undo of a write that created it).
    case fileRemove(String)

    public var description: String {
        switch self {
        case .setUp(let link, let up): "set_\(up ? "up" : "down") \(link)"
        case .setMTU(let link, let mtu): "set_mtu \(link) \(mtu)"
        case .setMAC(let link, let mac): "set_mac \(link) \(mac)"
        case .setMaster(let link, let master?): "set_master \(link) \(master)"
        case .setMaster(let link, nil): "set_nomaster \(link)"
        case .bridgeVLANAdd(let link, let vlan):
            "bridge_vlan_add \(link) \(vlan.vid)\(vlan.pvid ? " pvid" : "")\(vlan.untagged ? " untagged" : "")"
        case .bridgeVLANDel(let link, let vid): "bridge_vlan_del \(link) \(vid)"
        case .routeReplace(let route): "route_replace \(route)"
        case .routeDel(let route): "route_del \(route)"
        case .ruleAdd(let rule): "rule_add \(rule)"
        case .ruleDel(let rule): "rule_del \(rule)"
        case .addressAdd(let address): "address_add \(address)"
        case .addressReplace(let address): "address_replace \(address)"
        case .addressDel(let address): "address_del \(address)"
        case .neighAdd(let neighbour): "neigh_add \(neighbour)"
        case .neighDel(let neighbour): "neigh_del \(neighbour)"
        case .sysctl(let key, let value): "sysctl \(key)=\(value)"
        case .ovsAddPort(let bridge, let port): "ovs_add_port \(bridge) \(port)"
        case .ovsDelPort(let port): "ovs_del_port \(port)"
        case .ovsSetPort(let port, let tag, let trunks):
            "ovs_set_port \(port) tag=\(tag.map(String.init) ?? "[]") trunks=[\(trunks.map(String.init).joined(separator: ","))]"
        case .exec(let argv): (["exec"] + argv).joined(separator: " ")
        case .fileWrite(let path, let mode): "file_write \(path) \(String(mode, radix: 8).leftPadded(to: 4))"
        case .fileRemove(let path): "file_remove \(path)"
        }
    }

    /// The calls one link request makes, one per field in the order the kernel applies them
    /// (MAC, MTU, up/down, master), as a `set_link` is written in hook specs.
    public static func link(_ name: String, _ change: LinkChange) -> [HostCall] {
        var calls: [HostCall] = []
        if let mac = change.mac { calls.append(.setMAC(name, mac)) }
        if let mtu = change.mtu { calls.append(.setMTU(name, mtu)) }
        if let up = change.up { calls.append(.setUp(name, up)) }
        switch change.master {
        case .bridge(let bridge, _): calls.append(.setMaster(name, bridge))
        case .none?: calls.append(.setMaster(name, nil))
        case nil: break
        }
        return calls
    }
}

extension String {
    /// The string with zeros in front up to `width` characters (a file mode: `0644`).
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

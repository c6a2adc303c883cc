import HostNet

/// One change a hook made through the host API, with what it replaced, so it can be undone
/// exactly. Written to the journal before the change is made.
public enum JournalEntry: Codable, Hashable, Sendable {
    /// The first entry: which hook brought the NIC up, which version of it, on which tap.
    case begin(hook: String, version: String, interface: String)
    case linkUp(link: String, up: Bool, was: Bool)
    case mtu(link: String, mtu: Int, was: Int)
    case mac(link: String, mac: String, was: String?)
    case master(link: String, master: String?, was: String?)
    /// A VLAN added to a bridge port; `was` is the entry for the same id it replaced. `shared`
    /// marks an uplink's VLAN, kept on undo while another tap on the bridge still uses it.
    case bridgeVLANAdded(link: String, vlan: BridgeVLAN, was: BridgeVLAN?, shared: Bool)
    case bridgeVLANDeleted(link: String, was: BridgeVLAN)
    case routeReplaced(route: Route, was: Route?)
    case routeDeleted(was: Route)
    case ruleAdded(rule: Rule)
    case ruleDeleted(was: Rule)
    case sysctl(key: String, value: String, was: String)
    case ovsPortAdded(bridge: String, port: String)
    case ovsPortDeleted(was: OVSPort)
    case ovsPortSet(port: String, tag: Int?, trunks: [Int], wasTag: Int?, wasTrunks: [Int])
    /// A command run through the guarded exec: recorded, but there is nothing to undo.
    case exec(argv: [String])

    /// The change as one line, for `hooks run --dry-run`, logs and the journal's reader.
    public var summary: String {
        switch self {
        case .begin(let hook, let version, let interface):
            "begin \(interface) hook \(hook) version \(version.prefix(12))"
        case .linkUp(let link, let up, _): "set \(link) \(up ? "up" : "down")"
        case .mtu(let link, let mtu, _): "set mtu \(mtu) on \(link)"
        case .mac(let link, let mac, _): "set mac \(mac) on \(link)"
        case .master(let link, let master, _): master.map { "set master \($0) on \(link)" } ?? "set nomaster on \(link)"
        case .bridgeVLANAdded(let link, let vlan, _, let shared):
            "add bridge vlan \(vlan.vid)\(vlan.pvid ? " pvid" : "")\(vlan.untagged ? " untagged" : "") to \(link)\(shared ? " (shared)" : "")"
        case .bridgeVLANDeleted(let link, let was): "delete bridge vlan \(was.vid) from \(link)"
        case .routeReplaced(let route, _): "replace route \(route)"
        case .routeDeleted(let was): "delete route \(was)"
        case .ruleAdded(let rule): "add rule \(rule)"
        case .ruleDeleted(let was): "delete rule \(was)"
        case .sysctl(let key, let value, _): "set sysctl \(key)=\(value)"
        case .ovsPortAdded(let bridge, let port): "add ovs port \(port) to \(bridge)"
        case .ovsPortDeleted(let was): "delete ovs port \(was.name) from \(was.bridge)"
        case .ovsPortSet(let port, let tag, let trunks, _, _):
            "set ovs port \(port) tag=\(tag.map(String.init) ?? "none") trunks=\(trunks.map(String.init).joined(separator: ","))"
        case .exec(let argv): "exec \(argv.joined(separator: " "))"
        }
    }
}

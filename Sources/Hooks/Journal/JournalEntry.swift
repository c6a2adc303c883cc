import HostNet

/// One change a hook made through the host API, with what it replaced, so it can be undone
/// exactly. Written to the journal before the change is made.
public enum JournalEntry: Codable, Hashable, Sendable {
    /// The first entry: which hook brought the NIC up, which version of it, on which tap; the
    /// network namespace (with the boot) the journal's links live in, and the tap's index there
    /// (journals written before link identities have neither, and are undone by name); and the
    /// migration phase of that `up`, when it had one (a `post` continues a `pre`'s journal).
    case begin(
        hook: String, version: String, interface: String, namespace: String? = nil, index: Int32? = nil,
        phase: String? = nil)
    /// Which link a name meant for the entries that follow: its index, or nil when no link had
    /// the name. Written before the first change of a hook call that names the link, so undo
    /// changes a link only while it is the same one (a tap name is the kernel's, and taken again
    /// by the next tap as soon as the old one is gone).
    case link(name: String, index: Int32?)
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
    /// A command run through the guarded exec; `undo` (with `undoInput` on its standard input)
    /// is what undoes it, nil for a command that is recorded but never undone. `link` names the
    /// link the command is about, when the hook said (its undo then follows that link's identity,
    /// as a rule's does).
    case exec(argv: [String], undo: [String]? = nil, undoInput: String? = nil, link: String? = nil)

    /// The names of the links the change depends on: the link it changes, a route's or rule's
    /// device, the link of a per-link sysctl, the link an Open vSwitch port is named after.
    public var linkNames: [String] {
        switch self {
        case .begin, .link: []
        case .exec(_, _, _, let link): link.map { [$0] } ?? []
        case .linkUp(let link, _, _), .mtu(let link, _, _), .mac(let link, _, _), .master(let link, _, _): [link]
        case .bridgeVLANAdded(let link, _, _, _), .bridgeVLANDeleted(let link, _): [link]
        case .routeReplaced(let route, let was): [route.device] + (was.map { [$0.device] } ?? [])
        case .routeDeleted(let was): [was.device]
        case .ruleAdded(let rule): [rule.device]
        case .ruleDeleted(let was): [was.device]
        case .sysctl(let key, _, _): SysctlKey.link(of: key).map { [$0] } ?? []
        case .ovsPortAdded(_, let port), .ovsPortSet(let port, _, _, _, _): [port]
        case .ovsPortDeleted(let was): [was.name]
        }
    }

    /// Whether the entry records a change (not the journal's own bookkeeping).
    public var isChange: Bool {
        switch self {
        case .begin, .link: false
        default: true
        }
    }

    /// The change as one line, for `hooks run --dry-run`, logs and the journal's reader.
    public var summary: String {
        switch self {
        case .begin(let hook, let version, let interface, _, _, _):
            "begin \(interface) hook \(hook) version \(version.prefix(12))"
        case .link(let name, let index): "link \(name) is \(index.map { "index \($0)" } ?? "absent")"
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
        case .exec(let argv, let undo, _, _):
            "exec \(argv.joined(separator: " "))" + (undo == nil ? " (never undone)" : "")
        }
    }
}

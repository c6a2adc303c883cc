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
    /// An address a link did not have (added, or by a replace that found none).
    case addressAdded(address: InterfaceAddress)
    case addressDeleted(was: InterfaceAddress)
    case neighbourAdded(neighbour: ProxyNeighbour)
    case neighbourDeleted(was: ProxyNeighbour)
    /// A file written whole under a folder the node allows; `was` is what it held before
    /// (base64) and `wasMode` its permission bits, both nil when it did not exist. `reload` is
    /// the command that makes the file's reader take it (`birdc configure`): run after the write,
    /// and again after undo puts the file back or removes it. `link` names the link the file is
    /// for (a file named after its tap), whose identity the undo then follows, as a rule's.
    case fileWritten(
        path: String, mode: Int, was: String?, wasMode: Int?, reload: [String]? = nil, link: String? = nil)

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
        case .addressAdded(let address), .addressDeleted(let address): [address.device]
        case .neighbourAdded(let neighbour), .neighbourDeleted(let neighbour): [neighbour.device]
        case .fileWritten(_, _, _, _, _, let link): link.map { [$0] } ?? []
        }
    }

    /// Whether the entry records a change (not the journal's own bookkeeping).
    public var isChange: Bool {
        switch self {
        case .begin, .link: false
        default: true
        }
    }

    /// The change as the hook asked for it, in the notation of ``HostCall`` (nil for the
    /// journal's own bookkeeping).
    public var call: HostCall? {
        switch self {
        case .begin, .link: nil
        case .linkUp(let link, let up, _): .setUp(link, up)
        case .mtu(let link, let mtu, _): .setMTU(link, mtu)
        case .mac(let link, let mac, _): .setMAC(link, mac)
        case .master(let link, let master, _): .setMaster(link, master)
        case .bridgeVLANAdded(let link, let vlan, _, _): .bridgeVLANAdd(link, vlan)
        case .bridgeVLANDeleted(let link, let was): .bridgeVLANDel(link, vid: was.vid)
        case .routeReplaced(let route, _): .routeReplace(route)
        case .routeDeleted(let was): .routeDel(was)
        case .ruleAdded(let rule): .ruleAdd(rule)
        case .ruleDeleted(let was): .ruleDel(was)
        case .sysctl(let key, let value, _): .sysctl(key, value)
        case .ovsPortAdded(let bridge, let port): .ovsAddPort(bridge: bridge, port: port)
        case .ovsPortDeleted(let was): .ovsDelPort(was.name)
        case .ovsPortSet(let port, let tag, let trunks, _, _): .ovsSetPort(port, tag: tag, trunks: trunks)
        case .exec(let argv, _, _, _): .exec(argv)
        case .addressAdded(let address): .addressAdd(address)
        case .addressDeleted(let was): .addressDel(was)
        case .neighbourAdded(let neighbour): .neighAdd(neighbour)
        case .neighbourDeleted(let was): .neighDel(was)
        case .fileWritten(let path, let mode, _, _, _, _): .fileWrite(path, mode: mode)
        }
    }

    /// The calls that undo the change where its link is still the journal's: what a dry run
    /// shows for a `down`. Empty for what is recorded but never undone (an `exec` without an
    /// undo) and for what needs nothing put back (a MAC a link had none of).
    public var undoCalls: [HostCall] {
        switch self {
        case .begin, .link: []
        case .linkUp(let link, _, let was): [.setUp(link, was)]
        case .mtu(let link, _, let was): [.setMTU(link, was)]
        case .mac(let link, _, let was): was.map { [.setMAC(link, $0)] } ?? []
        case .master(let link, _, let was): [.setMaster(link, was)]
        case .bridgeVLANAdded(let link, let vlan, let was, _):
            [was.map { .bridgeVLANAdd(link, $0) } ?? .bridgeVLANDel(link, vid: vlan.vid)]
        case .bridgeVLANDeleted(let link, let was): [.bridgeVLANAdd(link, was)]
        case .routeReplaced(let route, let was): [was.map(HostCall.routeReplace) ?? .routeDel(route)]
        case .routeDeleted(let was): [.routeReplace(was)]
        case .ruleAdded(let rule): [.ruleDel(rule)]
        case .ruleDeleted(let was): [.ruleAdd(was)]
        case .sysctl(let key, _, let was): [.sysctl(key, was)]
        case .ovsPortAdded(_, let port): [.ovsDelPort(port)]
        case .ovsPortDeleted(let was):
            [.ovsAddPort(bridge: was.bridge, port: was.name), .ovsSetPort(was.name, tag: was.tag, trunks: was.trunks)]
        case .ovsPortSet(let port, _, _, let wasTag, let wasTrunks): [.ovsSetPort(port, tag: wasTag, trunks: wasTrunks)]
        case .exec(_, let undo, _, _): undo.map { [.exec($0)] } ?? []
        case .addressAdded(let address): [.addressDel(address)]
        case .addressDeleted(let was): [.addressAdd(was)]
        case .neighbourAdded(let neighbour): [.neighDel(neighbour)]
        case .neighbourDeleted(let was): [.neighAdd(was)]
        case .fileWritten(let path, _, let was, let wasMode, let reload, _):
            [was == nil ? .fileRemove(path) : .fileWrite(path, mode: wasMode ?? 0o644)]
                + (reload.map { [.exec($0)] } ?? [])
        }
    }

    /// Whether undo leaves the change as it is: an `exec` the hook gave no undo.
    public var isNeverUndone: Bool {
        if case .exec(_, nil, _, _) = self { return true }
        return false
    }

    /// The entry as one line, for logs and the journal's reader: a change in the notation of
    /// ``HostCall``.
    public var summary: String {
        switch self {
        case .begin(let hook, let version, let interface, _, _, let phase):
            "begin \(interface) hook \(hook) version \(version.prefix(12))" + (phase.map { " phase \($0)" } ?? "")
        case .link(let name, let index): "link \(name) is \(index.map { "index \($0)" } ?? "absent")"
        default: call?.description ?? ""
        }
    }
}

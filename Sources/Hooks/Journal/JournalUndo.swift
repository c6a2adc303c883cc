import HostNet

/// Puts back what a NIC's journal says its hook changed, newest first. Best effort: every entry
/// is tried; what is already gone (the tap, with its routes and sysctls, vanishes when qemu exits)
/// counts as undone; what could not be put back is returned, one line each.
public enum JournalUndo {
    public static func run(_ entries: [JournalEntry], network: HostNetwork, ovs: OpenVSwitch?) -> [String] {
        var interface: String?
        if case .begin(_, _, let tap) = entries.first { interface = tap }
        var failures: [String] = []
        for entry in entries.reversed() {
            do {
                try undo(entry, network: network, ovs: ovs, interface: interface)
            } catch let error as HostNetError where error.code == .notFound {
                continue
            } catch {
                failures.append("\(entry.summary): \(error)")
            }
        }
        return failures
    }

    private static func undo(_ entry: JournalEntry, network: HostNetwork, ovs: OpenVSwitch?, interface: String?) throws
    {
        switch entry {
        case .begin, .exec:
            return
        case .linkUp(let link, _, let was):
            try network.setUp(link, was)
        case .mtu(let link, _, let was):
            try network.setMTU(link, was)
        case .mac(let link, _, let was):
            if let was { try network.setMAC(link, was) }
        case .master(let link, _, let was):
            try network.setMaster(link, was)
        case .bridgeVLANAdded(let link, let vlan, let was, let shared):
            if let was {
                try network.addBridgeVLAN(link, was)
                return
            }
            let stillUsed =
                shared ? try otherTapUses(vid: vlan.vid, port: link, except: interface, network: network) : false
            if !stillUsed { try network.deleteBridgeVLAN(link, vid: vlan.vid) }
        case .bridgeVLANDeleted(let link, let was):
            try network.addBridgeVLAN(link, was)
        case .routeReplaced(let route, let was):
            if let was { try network.replaceRoute(was) } else { try network.deleteRoute(route) }
        case .routeDeleted(let was):
            try network.replaceRoute(was)
        case .ruleAdded(let rule):
            guard let current = try network.rules().first(where: { HookHost.same($0, rule) }) else { return }
            try network.deleteRule(current)
        case .ruleDeleted(let was):
            try network.addRule(was)
        case .sysctl(let key, _, let was):
            try network.setSysctl(key, was)
        case .ovsPortAdded(_, let port):
            try ovs?.deletePort(port)
        case .ovsPortDeleted(let was):
            try ovs?.addPort(bridge: was.bridge, port: was.name)
            try ovs?.setPort(was.name, tag: was.tag, trunks: was.trunks)
        case .ovsPortSet(let port, _, _, let wasTag, let wasTrunks):
            try ovs?.setPort(port, tag: wasTag, trunks: wasTrunks)
        }
    }

    /// Whether a tap other than this NIC's, on the same bridge as `port` (an uplink), still has
    /// the VLAN: then the uplink keeps it.
    static func otherTapUses(vid: Int, port: String, except interface: String?, network: HostNetwork) throws -> Bool {
        guard let bridge = try network.link(port)?.master else { return false }
        for link in try network.links() where link.master == bridge && link.name != port && link.name != interface {
            guard link.kind == "tun" else { continue }
            if try network.bridgeVLANs(link.name).contains(where: { $0.vid == vid }) { return true }
        }
        return false
    }
}

import Foundation
import HostNet

/// Puts back what a NIC's journal says its hook changed, newest first, on the links it changed
/// and on no other.
///
/// A tap's name is the kernel's and goes to the next tap as soon as the old one is gone (qemu
/// killed, a crash), so a journal is undone by identity, not by name: each change is undone
/// only while its link is the one the journal recorded (same index, same namespace, same boot).
/// What died with its link (its state, master, VLANs, routes through it, its sysctls) counts as
/// undone. What outlives a link by name is handled apart: a policy rule naming the link and an
/// Open vSwitch port named after it stay in the kernel and the switch, and would apply to the
/// next link of that name; they are removed when no link has the name, or when another has it
/// but no other NIC's journal claims them for that link.
///
/// Best effort: every entry is tried; what could not be put back is returned, one line each.
public enum JournalUndo {
    /// What an undo did, one line per change.
    public struct Outcome: Sendable, Equatable {
        /// The calls that put changes back (``HostCall`` notation), in the order made.
        public var undone: [String] = []
        /// Changes that went with their link, or that are left because the name now belongs to
        /// another NIC's link: the call that would have undone each, and why it did not run.
        public var gone: [(call: String, reason: String)] = []
        /// Changes that could not be put back, with the reason.
        public var failures: [String] = []

        public init() {}

        /// The outcome as `hooks run` lines: the undo's calls, then what it left.
        public var lines: [HookCallLine] {
            undone.map { HookCallLine(call: $0, kind: .undo) }
                + gone.map { HookCallLine(call: $0.call, kind: .notUndone, reason: $0.reason) }
        }

        public static func == (a: Outcome, b: Outcome) -> Bool {
            a.undone == b.undone && a.failures == b.failures && a.gone.map(\.call) == b.gone.map(\.call)
                && a.gone.map(\.reason) == b.gone.map(\.reason)
        }
    }

    /// Whether another NIC's journal claims `entry` (a rule added, an OVS port added) for the
    /// link that has its name now, whose index is given.
    public typealias Claims = (_ entry: JournalEntry, _ index: Int32) -> Bool

    /// How long the undo of an `exec` may run.
    public static let execUndoTimeout: Duration = .seconds(30)

    /// - Parameter commands: what runs the undo of an `exec` (nil: those are reported, not run).
    public static func run(
        _ entries: [JournalEntry], network: HostNetwork, ovs: OpenVSwitch?,
        commands: HookHost.Executor? = nil, files: any HookFiles = ConfinedFiles(roots: []),
        claimedElsewhere: Claims = { _, _ in false }
    ) -> Outcome {
        let journal = JournalLinks(entries)
        let matcher = LinkMatcher(network: network, namespace: journal.namespace)
        var outcome = Outcome()
        for (entry, links) in journal.changes.reversed() {
            // What would undo it, for the lines about it (an exec without an undo has none).
            let inverse = entry.undoCalls.map(\.description).joined(separator: ", ")
            do {
                let undone = try undo(
                    entry, links: links, matcher: matcher, ovs: ovs, commands: commands, files: files,
                    journal: journal, claimed: claimedElsewhere)
                switch undone {
                case .done(let calls): outcome.undone += calls.map(\.description)
                case .nothing: break
                case .gone(let why): outcome.gone.append((inverse, why))
                }
            } catch let error as HostNetError where error.code == .notFound {
                outcome.gone.append((inverse, "\(error)"))  // gone since it was looked for
            } catch {
                outcome.failures.append("\(inverse): \(error)")
            }
        }
        return outcome
    }

    private enum Undone {
        /// Put back, by these calls.
        case done([HostCall])
        /// Nothing to undo (a command run, an uplink VLAN another tap still uses).
        case nothing
        case gone(String)
    }

    private static func undo(
        _ entry: JournalEntry, links: [String: JournalLinks.Recorded], matcher: LinkMatcher, ovs: OpenVSwitch?,
        commands: HookHost.Executor?, files: any HookFiles, journal: JournalLinks, claimed: Claims
    ) throws -> Undone {
        let network = matcher.network
        func match(_ name: String) throws(HostNetError) -> LinkMatcher.Match { try matcher.match(name, links[name]) }
        func gone(_ name: String) throws(HostNetError) -> Undone? {
            switch try match(name) {
            case .same: nil
            case .gone: .gone("gone with \(name)")
            case .replaced: .gone("\(name) is another link now, left alone")
            }
        }
        switch entry {
        case .begin, .link, .exec(_, nil, _, _):
            return .nothing
        case .exec(_, let undo?, let input, let link):
            // What a command keyed on a link's name left (a firewall rule on `-i tap0`) outlives
            // the link, as a policy rule does: undone unless another NIC has the same for the
            // link that has the name now.
            if let link, case .replaced(let index) = try match(link), claimed(entry, index) {
                return .gone("\(link) is another link now, whose NIC ran the same: left alone")
            }
            try run(undo, input: input, commands)
        case .linkUp(let link, _, let was):
            if let gone = try gone(link) { return gone }
            try network.setUp(link, was)
        case .mtu(let link, _, let was):
            if let gone = try gone(link) { return gone }
            try network.setMTU(link, was)
        case .mac(let link, _, let was):
            if let gone = try gone(link) { return gone }
            guard let was else { return .nothing }
            try network.setMAC(link, was)
        case .master(let link, _, let was):
            if let gone = try gone(link) { return gone }
            try network.setMaster(link, was)
        case .bridgeVLANAdded(let link, let vlan, let was, let shared):
            if let gone = try gone(link) { return gone }
            if let was {
                try network.addBridgeVLAN(link, was)
                return .done(entry.undoCalls)
            }
            if shared {
                // The NIC's own tap is left out only while it is still this NIC's tap: a tap
                // that took its name since is another NIC's, whose VLANs count.
                let ownTap: Int32? =
                    if let tap = journal.interface, try matcher.match(tap, journal.interfaceRecord) == .same {
                        try matcher.link(tap)?.index
                    } else { nil }
                if try otherTapUses(vid: vlan.vid, port: link, network: network, except: { $0.index == ownTap }) {
                    return .nothing
                }
            }
            try network.deleteBridgeVLAN(link, vid: vlan.vid)
        case .bridgeVLANDeleted(let link, let was):
            if let gone = try gone(link) { return gone }
            try network.addBridgeVLAN(link, was)
        case .routeReplaced(let route, let was):
            let ours = try match(route.device) == .same
            if let was, try match(was.device) == .same {
                // What it replaced comes back unless the destination is routed by someone else
                // now (the route went with its link, and another took the destination).
                let taken = try destinationTaken(was, network)
                if ours || !taken {
                    try network.replaceRoute(was)
                    return .done(entry.undoCalls)
                }
                return .gone("\(was.destination) in table \(was.table) is routed by another link now, left alone")
            }
            guard ours else { return try gone(route.device) ?? .nothing }
            try network.deleteRoute(route)
        case .routeDeleted(let was):
            if let gone = try gone(was.device) { return gone }
            if try destinationTaken(was, network) {
                return .gone("\(was.destination) in table \(was.table) is routed again, left alone")
            }
            try network.replaceRoute(was)
        case .ruleAdded(let rule):
            // A rule outlives its link: the kernel keeps it for the next link of that name.
            guard let current = try network.rules().first(where: { HookHost.same($0, rule) }) else {
                return .gone("no such rule now")
            }
            if case .replaced(let index) = try match(rule.device), claimed(entry, index) {
                return .gone("\(rule.device) is another link now, whose NIC has this rule: left alone")
            }
            try network.deleteRule(current)
            return .done([.ruleDel(current)])
        case .ruleDeleted(let was):
            // Put back only for the same link: for another, it would apply to that link.
            if let gone = try gone(was.device) { return gone }
            if try network.rules().contains(where: { HookHost.same($0, was) }) { return .nothing }
            try network.addRule(was)
        case .sysctl(let key, _, let was):
            if let link = SysctlKey.link(of: key), let gone = try gone(link) { return gone }
            try network.setSysctl(key, was)
        case .ovsPortAdded(_, let port):
            // A port record outlives its link too, and takes the next link of that name.
            guard let ovs else { return .nothing }
            guard try ovs.port(port) != nil else { return .gone("no such port now") }
            if case .replaced(let index) = try match(port), claimed(entry, index) {
                return .gone("\(port) is another link now, whose NIC has this port: left alone")
            }
            try ovs.deletePort(port)
        case .ovsPortDeleted(let was):
            if let gone = try gone(was.name) { return gone }
            guard let ovs else { return .nothing }
            try ovs.addPort(bridge: was.bridge, port: was.name)
            try ovs.setPort(was.name, tag: was.tag, trunks: was.trunks)
        case .ovsPortSet(let port, _, _, let wasTag, let wasTrunks):
            if let gone = try gone(port) { return gone }
            guard let ovs else { return .nothing }
            try ovs.setPort(port, tag: wasTag, trunks: wasTrunks)
        case .addressAdded(let address):
            if let gone = try gone(address.device) { return gone }
            guard try network.addresses(of: address.device).contains(address) else {
                return .gone("no such address now")
            }
            try network.deleteAddress(address)
        case .addressDeleted(let was):
            if let gone = try gone(was.device) { return gone }
            if try network.addresses(of: was.device).contains(was) { return .nothing }
            try network.addAddress(was)
        case .neighbourAdded(let neighbour):
            if let gone = try gone(neighbour.device) { return gone }
            guard try network.proxyNeighbours().contains(neighbour) else { return .gone("no such entry now") }
            // An entry for a guest's address (on an uplink) that another NIC now answers for.
            if let index = try matcher.link(neighbour.device)?.index, claimed(entry, index) {
                return .gone("another NIC's journal has it now: left alone")
            }
            try network.deleteProxyNeighbour(neighbour)
        case .neighbourDeleted(let was):
            if let gone = try gone(was.device) { return gone }
            if try network.proxyNeighbours().contains(was) { return .nothing }
            try network.addProxyNeighbour(was)
        case .fileWritten(let path, _, let was, let wasMode, let reload, let link):
            // A file named after a link outlives it, as a rule does: left to the NIC whose link
            // has the name now and which wrote the same file.
            if let link, case .replaced(let index) = try match(link), claimed(entry, index) {
                return .gone("\(link) is another link now, whose NIC wrote the same file: left alone")
            }
            if let was {
                guard let bytes = Data(base64Encoded: was) else {
                    throw JournalUndoError("the journal's copy of \(path) is not base64")
                }
                let mode = wasMode ?? 0o644
                try files.write(path, [UInt8](bytes), mode: mode, HostCall.fileWrite(path, mode: mode).description)
            } else {
                guard try files.read(path, HostCall.fileRemove(path).description) != nil else {
                    return .gone("no such file now")
                }
                try files.remove(path, HostCall.fileRemove(path).description)
            }
            // The file's reader takes it back.
            if let reload { try run(reload, input: nil, commands) }
        }
        return .done(entry.undoCalls)
    }

    /// Runs an undo's command; a non-zero status is a failure with the end of its output.
    private static func run(_ argv: [String], input: String?, _ commands: HookHost.Executor?) throws {
        guard let commands else {
            throw JournalUndoError("no command runner to run \(argv.joined(separator: " "))")
        }
        let output = try commands(ExecRequest(argv: argv, timeout: execUndoTimeout, input: input))
        guard output.status == 0 else {
            let text = (output.standardError + output.standardOutput).split(separator: "\n").suffix(3)
                .joined(separator: " | ")
            throw JournalUndoError("\(argv.joined(separator: " ")) exited with status \(output.status): \(text)")
        }
    }

    struct JournalUndoError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether a route now leads to `route`'s destination in its table.
    private static func destinationTaken(_ route: Route, _ network: HostNetwork) throws -> Bool {
        try network.routes(table: route.table).contains { $0.destination == route.destination }
    }

    /// Whether a tap on the same bridge as `port` (an uplink), other than those `except` names,
    /// has the VLAN: then the uplink keeps it.
    static func otherTapUses(
        vid: Int, port: String, network: HostNetwork, except: (LinkState) -> Bool
    ) throws -> Bool {
        guard let bridge = try network.link(port)?.master else { return false }
        for link in try network.links() where link.master == bridge && link.name != port && !except(link) {
            guard link.kind == "tun" else { continue }
            if try network.bridgeVLANs(link.name).contains(where: { $0.vid == vid }) { return true }
        }
        return false
    }
}

import Foundation
import HostNet

/// The host as a hook sees it: reads go straight to the host; every change is first written to
/// the NIC's journal with what it replaces, then made (and its entry dropped again if the host
/// refuses it). In a dry run nothing is changed: each change is only described in `calls`.
public final class HookHost {
    public let network: HostNetwork
    public let ovs: OpenVSwitch?
    /// The journal changes go to; nil when they are not journaled (dry runs, a `down` function).
    public let journal: Journal?
    public let dryRun: Bool
    /// The NIC's tap: a shared (uplink) VLAN another tap already uses counts as taphouse's own.
    public let interface: String?
    /// A name the hook must not see or touch: the NIC's tap name during a `down` whose tap is
    /// gone and whose name another link has taken since. Reads act as if no link had it, and
    /// changes naming it are refused as for a missing link.
    public let hidden: String?
    /// The links this call has recorded in the journal (name to index, nil for none): a change
    /// is preceded by a `link` entry for each name it depends on that is not here yet.
    private var recorded: [String: Int32?] = [:]
    /// Whether another NIC's journal made a change (an uplink VLAN) for the link with an index:
    /// then what is there is taphouse's, not the admin's, even while no tap uses it (that NIC's
    /// tap died with its qemu and its journal awaits undo).
    public var claimedElsewhere: JournalUndo.Claims = { _, _ in false }
    /// Whether another NIC's journal made this change (a file bound to a link at this path, a
    /// proxy entry): left by a NIC whose tap died with its qemu and whose journal awaits undo.
    /// What is there is then taphouse's, not the admin's: this NIC takes it as its own (its undo
    /// removes it, and the other NIC's undo leaves it to this one).
    public var madeElsewhere: (JournalEntry) -> Bool = { _ in false }
    /// Every change asked for, one line each, in order.
    public private(set) var calls: [HookCallLine] = []
    /// Where `file.write` may write.
    public let files: any HookFiles
    /// Links read during this hook call, kept up to date with the call's own changes: a hook
    /// asks about the same tap before each change, and a netlink round trip is the cost of a
    /// NIC. A HookHost lives for one call, in which only the hook changes these links.
    private var linkCache: [String: LinkState] = [:]

    /// Runs a guarded `exec` (a child process, ``ExecRequest/spawn(_:)``; in hook specs, a
    /// recorded answer).
    public typealias Executor = (ExecRequest) throws -> CommandRunner.Output
    /// The real one: a child process, never a shell.
    public static func spawn(_ request: ExecRequest) throws -> CommandRunner.Output { try ExecRequest.spawn(request) }
    /// What runs `exec`: a child process, or (in hook specs) a recorded answer.
    public let executor: Executor

    /// - Parameters:
    ///   - tap: the NIC's tap as read just before the call, when the caller has it: the cache
    ///     starts with it, and the journal's `begin` has recorded its index already.
    public init(
        network: HostNetwork, ovs: OpenVSwitch?, journal: Journal?, interface: String? = nil, tap: LinkState? = nil,
        hidden: String? = nil, dryRun: Bool = false, executor: @escaping Executor = HookHost.spawn,
        files: any HookFiles = ConfinedFiles(roots: [])
    ) {
        self.files = files
        self.network = network
        self.ovs = ovs
        self.journal = journal
        self.interface = interface
        self.hidden = hidden
        self.dryRun = dryRun
        self.executor = executor
        if let tap, tap.name == interface {
            linkCache[tap.name] = tap
            recorded[tap.name] = tap.index
        }
    }

    /// Journals `entry`, then runs `change`; a refused change leaves no entry behind.
    /// `shown` is the call as the hook made it, where the entry says it otherwise (a replace
    /// that added).
    private func change(
        _ entry: JournalEntry, shown: HostCall? = nil, _ apply: () throws(HostNetError) -> Void
    ) throws {
        try change([entry], shown: shown.map { [HookCallLine(call: $0.description, kind: .call)] }, apply)
    }

    /// Journals `entries`, then runs `change`, which makes them all. When the host refuses, their
    /// entries go again, unless there are several: a request refused part way may have made the
    /// first ones, and undoing one that was not made only sets what is already there.
    private func change(
        _ entries: [JournalEntry], shown: [HookCallLine]? = nil, _ apply: () throws(HostNetError) -> Void
    ) throws {
        calls += shown ?? entries.map(HookCallLine.init(change:))
        if dryRun { return }
        if let journal {
            // The links the changes depend on, as they are now, before the changes (one write).
            var identities: [JournalEntry] = []
            for name in entries.flatMap(\.linkNames) where recorded[name] == nil {
                let index = try link(name)?.index
                recorded[name] = .some(index)
                identities.append(.link(name: name, index: index))
            }
            try journal.append(contentsOf: identities + entries)
        }
        do {
            try apply()
        } catch {
            if entries.count == 1 { try? journal?.dropLast() }
            throw error
        }
    }

    /// The link, from this call's cache or the host.
    public func link(_ name: String) throws(HostNetError) -> LinkState? {
        if name == hidden { return nil }
        if let cached = linkCache[name] { return cached }
        let link = try network.link(name)
        if let link { linkCache[name] = link }
        return link
    }

    /// Every link but a hidden one.
    public func links() throws(HostNetError) -> [LinkState] {
        try network.links().filter { $0.name != hidden }
    }

    /// A bridge port's VLANs.
    public func bridgeVLANs(_ name: String) throws(HostNetError) -> [BridgeVLAN] {
        try visible(name, "list bridge vlans of \(name)")
        return try network.bridgeVLANs(name)
    }

    /// The routes of a table (all with nil), but those through a hidden link.
    public func routes(table: Int?) throws(HostNetError) -> [Route] {
        try network.routes(table: table).filter { $0.device != hidden }
    }

    /// The rules, but those naming a hidden link.
    public func rules() throws(HostNetError) -> [Rule] { try network.rules().filter { $0.device != hidden } }

    /// A sysctl, nil when it does not exist (as a hidden link's do not).
    public func sysctl(_ key: String) throws(HostNetError) -> String? {
        if let link = SysctlKey.link(of: key), link == hidden { return nil }
        return try network.sysctl(key)
    }

    /// An Open vSwitch port (nil without a switch, or for a hidden name).
    public func ovsPort(_ name: String) throws(HostNetError) -> OVSPort? {
        guard name != hidden, let ovs else { return nil }
        return try ovs.port(name)
    }

    /// Refuses an operation on the hidden name as on a missing link.
    private func visible(_ name: String?, _ operation: @autoclosure () -> String) throws(HostNetError) {
        guard let name, name == hidden else { return }
        throw HostNetError(
            .notFound, operation(),
            detail: "no link \(name) of this NIC: its tap is gone, and the name is another's now")
    }

    private func existing(_ name: String, _ operation: String) throws(HostNetError) -> LinkState {
        guard let link = try link(name) else {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
        return link
    }

    /// Keeps the cache in step with a change this call made (a dry run changes nothing).
    private func changed(_ name: String, _ update: (inout LinkState) -> Void) {
        guard !dryRun, linkCache[name] != nil else { return }
        update(&linkCache[name]!)
    }

    public func setUp(_ name: String, _ up: Bool) throws { try changeLink(name, LinkChange(up: up)) }
    public func setMTU(_ name: String, _ mtu: Int) throws { try changeLink(name, LinkChange(mtu: mtu)) }
    public func setMAC(_ name: String, _ mac: String) throws { try changeLink(name, LinkChange(mac: mac)) }
    public func setMaster(_ name: String, _ master: String?) throws {
        try changeLink(name, LinkChange(master: master.map { .bridge($0) } ?? LinkChange.Master.none))
    }

    /// Changes several things of one link in one request, each journaled with what it replaces
    /// (in the order the kernel makes them, so undo goes back in reverse).
    public func changeLink(_ name: String, _ change: LinkChange) throws {
        if change.isEmpty { return }
        let link = try existing(name, change.description(of: name))
        var change = change
        if case .bridge(let bridge, nil) = change.master, let known = linkCache[bridge] {
            change.master = .bridge(bridge, index: known.index)  // read in this call: no second look-up
        }
        var entries: [JournalEntry] = []
        if let mac = change.mac { entries.append(.mac(link: name, mac: mac, was: link.mac)) }
        if let mtu = change.mtu { entries.append(.mtu(link: name, mtu: mtu, was: link.mtu)) }
        if let up = change.up { entries.append(.linkUp(link: name, up: up, was: link.up)) }
        var master: String?? = nil
        switch change.master {
        case .bridge(let bridge, _): master = .some(bridge)
        case .none?: master = .some(nil)
        case nil: break
        }
        if let master { entries.append(.master(link: name, master: master, was: link.master)) }
        try self.change(entries) { () throws(HostNetError) in try network.changeLink(name, change) }
        changed(name) { link in
            if let mac = change.mac { link.mac = mac.lowercased() }
            if let mtu = change.mtu { link.mtu = mtu }
            if let up = change.up { link.up = up }
            if let master { link.master = master }
        }
    }

    public func addBridgeVLAN(_ name: String, _ vlan: BridgeVLAN, shared: Bool) throws {
        var was = try bridgeVLANs(name).first { $0.vid == vlan.vid }
        // An uplink VLAN that another tap uses was added for that tap, not by the admin: it is
        // taphouse's, and goes with the last tap that needs it.
        if shared, was != nil {
            let usedByATap = try JournalUndo.otherTapUses(
                vid: vlan.vid, port: name, network: network, except: { $0.name == interface || $0.name == hidden })
            let asked = JournalEntry.bridgeVLANAdded(link: name, vlan: vlan, was: nil, shared: true)
            if try usedByATap || (link(name).map { claimedElsewhere(asked, $0.index) } ?? false) { was = nil }
        }
        try change(.bridgeVLANAdded(link: name, vlan: vlan, was: was, shared: shared)) { () throws(HostNetError) in
            try network.addBridgeVLAN(name, vlan)
        }
    }

    public func deleteBridgeVLAN(_ name: String, vid: Int) throws {
        guard let was = try bridgeVLANs(name).first(where: { $0.vid == vid }) else {
            throw HostNetError(.notFound, HostCall.bridgeVLANDel(name, vid: vid).description, detail: "no such vlan")
        }
        try change(.bridgeVLANDeleted(link: name, was: was)) { () throws(HostNetError) in
            try network.deleteBridgeVLAN(name, vid: vid)
        }
    }

    /// Adds the route or replaces the one to its destination in its table (compared as the
    /// kernel lists them, so `2001:DB8::5` is the route to `2001:db8::5/128`).
    public func replaceRoute(_ route: Route) throws {
        try visible(route.device, HostCall.routeReplace(route).description)
        let destination = route.listed.destination
        let was = try routes(table: route.table).first { $0.listed.destination == destination }
        try change(.routeReplaced(route: route, was: was)) { () throws(HostNetError) in try network.replaceRoute(route)
        }
    }

    public func deleteRoute(_ route: Route) throws {
        let destination = route.listed.destination
        guard let was = try routes(table: route.table).first(where: { $0.listed.destination == destination })
        else {
            throw HostNetError(.notFound, HostCall.routeDel(route).description, detail: "no such route")
        }
        try change(.routeDeleted(was: was)) { () throws(HostNetError) in try network.deleteRoute(was) }
    }

    public func addRule(_ rule: Rule) throws {
        try visible(rule.device, HostCall.ruleAdd(rule).description)
        try change(.ruleAdded(rule: rule)) { () throws(HostNetError) in try network.addRule(rule) }
    }

    public func deleteRule(_ rule: Rule) throws {
        guard let was = try rules().first(where: { Self.same($0, rule) }) else {
            throw HostNetError(.notFound, HostCall.ruleDel(rule).description, detail: "no such rule")
        }
        try change(.ruleDeleted(was: was)) { () throws(HostNetError) in try network.deleteRule(was) }
    }

    static func same(_ a: Rule, _ b: Rule) -> Bool {
        a.family == b.family && a.device == b.device && a.table == b.table
            && (b.priority == nil || a.priority == b.priority)
    }

    public func setSysctl(_ key: String, _ value: String) throws {
        guard let was = try sysctl(key) else {
            throw HostNetError(.notFound, HostCall.sysctl(key, value).description, detail: "no such sysctl")
        }
        try change(.sysctl(key: key, value: value, was: was)) { () throws(HostNetError) in
            try network.setSysctl(key, value)
        }
    }

    func requireOVS(_ operation: String) throws(HostNetError) -> OpenVSwitch {
        guard let ovs else {
            throw HostNetError(.unsupported, operation, detail: "Open vSwitch is not available on this node")
        }
        return ovs
    }

    public func addOVSPort(bridge: String, port: String) throws {
        let operation = HostCall.ovsAddPort(bridge: bridge, port: port).description
        let ovs = try requireOVS(operation)
        try visible(port, operation)
        try change(.ovsPortAdded(bridge: bridge, port: port)) { () throws(HostNetError) in
            try ovs.addPort(bridge: bridge, port: port)
        }
    }

    public func deleteOVSPort(_ name: String) throws {
        let operation = HostCall.ovsDelPort(name).description
        let ovs = try requireOVS(operation)
        guard let was = try ovsPort(name) else {
            throw HostNetError(.notFound, operation, detail: "no such port")
        }
        try change(.ovsPortDeleted(was: was)) { () throws(HostNetError) in try ovs.deletePort(name) }
    }

    public func setOVSPort(_ name: String, tag: Int?, trunks: [Int]) throws {
        let operation = HostCall.ovsSetPort(name, tag: tag, trunks: trunks).description
        let ovs = try requireOVS(operation)
        guard let was = try ovsPort(name) else {
            throw HostNetError(.notFound, operation, detail: "no such port")
        }
        try change(.ovsPortSet(port: name, tag: tag, trunks: trunks, wasTag: was.tag, wasTrunks: was.trunks)) {
            () throws(HostNetError) in try ovs.setPort(name, tag: tag, trunks: trunks)
        }
    }

    /// Runs a command for what the API lacks, journaled before it runs: with `undo`, the command
    /// (and its input) that undoes it, which undo runs like any other change; without, it is
    /// recorded but never undone. `link` names the link the command is about, whose identity the
    /// undo then follows. Nil in a dry run (nothing runs).
    public func exec(
        _ request: ExecRequest, undo: [String]? = nil, undoInput: String? = nil, link: String? = nil
    ) throws -> CommandRunner.Output? {
        try visible(link, HostCall.exec(request.argv).description)
        let entry = JournalEntry.exec(argv: request.argv, undo: undo, undoInput: undoInput, link: link)
        calls.append(HookCallLine(change: entry))
        if dryRun { return nil }
        if let journal {
            var identities: [JournalEntry] = []
            if let link, recorded[link] == nil {
                let index = try self.link(link)?.index
                recorded[link] = .some(index)
                identities.append(.link(name: link, index: index))
            }
            // The entry stays whatever the command does: one that timed out may have done part
            // of its work, which its undo is for.
            try journal.append(contentsOf: identities + [entry])
        }
        do {
            return try executor(request)
        } catch var error as HostNetError {
            // In the words of every other host call.
            error.operation = HostCall.exec(request.argv).description
            throw error
        }
    }

    /// A call that changes nothing (what it asks for is there already): shown, not journaled.
    private func unchanged(_ call: HostCall, _ apply: () throws(HostNetError) -> Void = {}) throws {
        calls.append(HookCallLine(call: call.description, kind: .call))
        if !dryRun { try apply() }
    }

    /// The addresses of a link (of every link but a hidden one with nil), as the kernel lists
    /// them.
    public func addresses(of name: String?) throws(HostNetError) -> [InterfaceAddress] {
        guard let name else { return try network.addresses(of: nil).filter { $0.device != hidden } }
        if name == hidden { return [] }
        return try network.addresses(of: name)
    }

    /// The address as the link has it: for IPv4 the same address and length, for IPv6 the same
    /// address with any length (the kernel's notion of one already there).
    private func present(_ address: InterfaceAddress) throws(HostNetError) -> InterfaceAddress? {
        let (text, length) = Self.split(address.address)
        return try addresses(of: address.device).first { listed in
            let (listedText, listedLength) = Self.split(listed.address)
            return listedText == text && (text.contains(":") || listedLength == length)
        }
    }

    private static func split(_ address: String) -> (String, Substring?) {
        let parts = address.split(separator: "/", maxSplits: 1)
        return (String(parts[0]), parts.count == 2 ? parts[1] : nil)
    }

    public func addAddress(_ address: InterfaceAddress) throws {
        try visible(address.device, HostCall.addressAdd(address).description)
        try change(.addressAdded(address: address)) { () throws(HostNetError) in try network.addAddress(address) }
    }

    /// Adds the address unless the link has it (an IPv6 one with any length): what an `up` run
    /// again, or a post-migration `up` after its pre one, calls.
    public func replaceAddress(_ address: InterfaceAddress) throws {
        try visible(address.device, HostCall.addressReplace(address).description)
        if try present(address) != nil {
            return try unchanged(.addressReplace(address)) { () throws(HostNetError) in
                try network.replaceAddress(address)
            }
        }
        try change(.addressAdded(address: address), shown: .addressReplace(address)) { () throws(HostNetError) in
            try network.replaceAddress(address)
        }
    }

    /// Deletes the address (the same length). A primary IPv4 address takes its secondaries with
    /// it (the kernel's default, `promote_secondaries` 0): those are journaled too, so undo puts
    /// all of them back.
    public func deleteAddress(_ address: InterfaceAddress) throws {
        let operation = HostCall.addressDel(address).description
        try visible(address.device, operation)
        let before = try addresses(of: address.device)
        guard let was = try present(address), Self.split(was.address).1 == Self.split(address.address).1 else {
            throw HostNetError(.notFound, operation, detail: "no such address")
        }
        try change(.addressDeleted(was: was)) { () throws(HostNetError) in try network.deleteAddress(was) }
        guard !dryRun, let journal else { return }
        let after = Set(try addresses(of: address.device))
        let alsoGone = before.filter { $0 != was && !after.contains($0) }
        if !alsoGone.isEmpty { try journal.append(contentsOf: alsoGone.map { .addressDeleted(was: $0) }) }
    }

    /// The proxy neighbour entries, but those of a hidden link.
    public func proxyNeighbours() throws(HostNetError) -> [ProxyNeighbour] {
        try network.proxyNeighbours().filter { $0.device != hidden }
    }

    /// Adds a proxy entry; one that is there already is left as it is (as the kernel answers a
    /// second `ip neigh add proxy`), so a post-migration `up` may add what its pre one did. One
    /// another NIC's journal added (a NIC whose tap died) is taken as this NIC's.
    public func addProxyNeighbour(_ neighbour: ProxyNeighbour) throws {
        try visible(neighbour.device, HostCall.neighAdd(neighbour).description)
        let entry = JournalEntry.neighbourAdded(neighbour: neighbour)
        if try proxyNeighbours().contains(neighbour) {
            guard madeElsewhere(entry) else { return try unchanged(.neighAdd(neighbour)) }
            return try change(entry) {}
        }
        try change(entry) { () throws(HostNetError) in try network.addProxyNeighbour(neighbour) }
    }

    public func deleteProxyNeighbour(_ neighbour: ProxyNeighbour) throws {
        let operation = HostCall.neighDel(neighbour).description
        try visible(neighbour.device, operation)
        guard try proxyNeighbours().contains(neighbour) else {
            throw HostNetError(.notFound, operation, detail: "no such proxy neighbour")
        }
        try change(.neighbourDeleted(was: neighbour)) { () throws(HostNetError) in
            try network.deleteProxyNeighbour(neighbour)
        }
    }

    /// Writes a whole file under a folder the node allows, journaled with what it held (undo
    /// puts that back, or removes a file that was not there), then runs `reload` (the command
    /// that makes the file's reader take it; undo runs it again after its own change). The same
    /// bytes and mode as now change nothing and reload nothing.
    public func writeFile(
        _ path: String, _ bytes: [UInt8], mode: Int, reload: ExecRequest? = nil, link: String? = nil
    ) throws {
        let operation = HostCall.fileWrite(path, mode: mode).description
        try visible(link, operation)
        try files.check(path, operation)
        guard bytes.count <= ConfinedFiles.maximumBytes else {
            throw HostNetError(
                .invalid, operation,
                detail: "\(bytes.count) bytes, over the \(ConfinedFiles.maximumBytes) a write may be")
        }
        var was = try files.read(path, operation)
        // Left by a NIC whose tap is gone: this NIC's now, even if it holds the same text, so
        // that NIC's undo leaves it and this one's removes it.
        if let link, was != nil,
            madeElsewhere(.fileWritten(path: path, mode: mode, was: nil, wasMode: nil, link: link))
        {
            was = nil
        } else if was == FileContents(bytes: bytes, mode: mode) {
            return try unchanged(.fileWrite(path, mode: mode))
        }
        let entry = JournalEntry.fileWritten(
            path: path, mode: mode, was: was.map { Data($0.bytes).base64EncodedString() }, wasMode: was?.mode,
            reload: reload?.argv, link: link)
        try change(entry) { () throws(HostNetError) in try files.write(path, bytes, mode: mode, operation) }
        guard let reload else { return }
        calls.append(HookCallLine(call: HostCall.exec(reload.argv).description, kind: .call))
        if dryRun { return }
        let output: CommandRunner.Output
        do {
            output = try executor(reload)
        } catch var error as HostNetError {
            error.operation = HostCall.exec(reload.argv).description
            throw error
        }
        guard output.status == 0 else {
            let text = (output.standardError + output.standardOutput).split(separator: "\n").suffix(3)
                .joined(separator: " | ")
            throw HostNetError(
                .command, HostCall.exec(reload.argv).description,
                detail: "the reload after \(operation) exited with status \(output.status): \(text)")
        }
    }
}

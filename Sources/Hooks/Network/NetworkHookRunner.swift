import Crypto
import Foundation
import HostNet
import Logging
import LuaKit
import QEMU

/// Runs a NIC's network hook: picks the file for its mode (the site's, else the built-in one;
/// `ext` only from the site), builds the `nic` table, runs `up` or `down` in the sandbox against
/// a journaling host, and undoes what a failed `up` did. One warm Lua state serves every call.
public final class NetworkHookRunner {
    public enum Action: String, Sendable, Codable { case up, down }
    public enum Phase: String, Sendable, Codable { case pre, post }

    public let directories: HookDirectories
    public let stateDirectory: String
    /// Where hooks may write files (``HookDirectories/files``; in specs, the fake node's).
    public var files: any HookFiles
    /// What runs a hook's `exec` (hook specs answer instead of spawning).
    public var executor: HookHost.Executor = HookHost.spawn
    /// Whether journal writes are fsync'd (not when the state directory is on tmpfs).
    private let durableJournal: Bool
    private let warm: WarmHookState
    /// Hook texts by path with their version, kept while the file's stamp is unchanged: a NIC's
    /// up costs one stat, not a read and a hash.
    private var sources: [String: (stamp: LuaSourceFile.Stamp, source: [UInt8], version: String)] = [:]
    /// Hook versions whose text this runner has kept in the state directory.
    private var savedVersions: Set<String> = []
    /// Hook versions whose table has no `down` function.
    private var versionsWithoutDown: Set<String> = []

    public init(
        directories: HookDirectories, stateDirectory: String, limits: LuaLimits = HookSandbox.defaultLimits,
        logger: Logger
    ) {
        self.directories = directories
        self.stateDirectory = stateDirectory
        files = ConfinedFiles(roots: directories.files)
        durableJournal = !FileSystem.isTmpfs(stateDirectory)
        warm = WarmHookState(
            sandbox: HookSandbox(limits: limits, moduleRoots: directories.moduleRoots, logger: logger))
    }

    /// The hook file serving `mode`, and whether it is the built-in one.
    public func hookFile(mode: String) throws(HookError) -> (path: String, builtin: Bool) {
        guard HookModes.isValid(mode) else { throw HookError(.missingHook, "\"\(mode)\" is not a NIC mode") }
        let relative = "network/\(mode).lua"
        // ext is served by the site only, even if a built-in ext.lua were installed.
        if let found = directories.hookFile(relative), mode != "ext" || !found.builtin { return found }
        if mode == "ext" {
            throw HookError(
                .missingHook,
                "mode ext has no built-in hook: put one at \(directories.site ?? "<hooks dir>")/network/ext.lua")
        }
        throw HookError(.missingHook, "no hook for mode \(mode) (looked for \(directories.builtin)/\(relative))")
    }

    /// The `nic` table a hook gets (design section 4.2): Ganeti's environment, typed.
    public static func nicTable(
        instance: String, tags: [String], nic: NICSpec, index: Int, interface: String, action: Action, phase: Phase?
    ) -> LuaValue {
        var fields: [LuaKey: LuaValue] = [
            "INSTANCE": .string(instance), "MAC": .string(nic.mac), "MODE": .string(nic.mode),
            "INTERFACE": .string(interface), "INTERFACE_INDEX": .integer(Int64(index)),
            "INTERFACE_UUID": .string(nic.uuid), "TAGS": .array(tags.map(LuaValue.string)),
            "ACTION": .string(action.rawValue),
        ]
        if let name = nic.name { fields["INTERFACE_NAME"] = .string(name) }
        if let ip = nic.ip { fields["IP"] = .string(ip) }
        if let link = nic.link {
            fields["LINK"] = .string(link)
            if nic.mode == "bridged" { fields["BRIDGE"] = .string(link) }
        }
        if let vlan = nic.vlan { fields["VLAN"] = .string(vlan) }
        if let phase { fields["MIGRATION_PHASE"] = .string(phase.rawValue) }
        if let info = nic.netinfo {
            var network: [LuaKey: LuaValue] = [
                "NAME": .string(info.name), "TAGS": .array(info.tags.map(LuaValue.string)),
            ]
            for (key, value) in [
                ("UUID", info.uuid), ("SUBNET", info.subnet), ("GATEWAY", info.gateway), ("SUBNET6", info.subnet6),
                ("GATEWAY6", info.gateway6), ("MAC_PREFIX", info.macPrefix),
            ] {
                if let value { network[.string(key)] = .string(value) }
            }
            fields["NETWORK"] = .map(network)
        } else if let network = nic.network {
            // A spec that names the network without Ganeti's netinfo: its name, nothing more.
            fields["NETWORK"] = ["NAME": .string(network), "TAGS": .array([])]
        }
        return .map(fields)
    }

    /// The fields a `nic` table may have (design 4.2): reading another is an error naming it.
    public static let nicShape = LuaStrictTable(
        name: "nic",
        fields: [
            "INSTANCE", "MAC", "MODE", "INTERFACE", "INTERFACE_INDEX", "INTERFACE_UUID", "INTERFACE_NAME", "TAGS",
            "IP", "LINK", "BRIDGE", "VLAN", "ACTION", "MIGRATION_PHASE", "NETWORK",
        ],
        nested: [
            "NETWORK": LuaStrictTable(
                name: "nic.NETWORK",
                fields: ["NAME", "UUID", "TAGS", "SUBNET", "GATEWAY", "SUBNET6", "GATEWAY6", "MAC_PREFIX"])
        ])

    /// Brings a NIC up: runs its hook's `up` with every change journaled; on failure undoes them.
    /// - Returns: the host changes made (or, with `dryRun`, that would be made).
    @discardableResult
    public func up(
        instance: String, tags: [String], nic: NICSpec, index: Int, interface: String, phase: Phase? = nil,
        network: HostNetwork, ovs: OpenVSwitch?, dryRun: Bool = false
    ) throws(HookError) -> [HookCallLine] {
        let (path, _) = try attributed(instance, index) { () throws(HookError) in try hookFile(mode: nic.mode) }
        let (source, version) = try attributed(instance, index) { () throws(HookError) in try text(of: path) }
        let journalPath = Journal.path(stateDirectory: stateDirectory, instance: instance, nicIndex: index)
        // The tap as it is now: its index goes into the journal, so undo knows it from the next
        // tap to take its name.
        let tap = try attributed(instance, index) { () throws(HookError) in
            do {
                return try network.link(interface)
            } catch {
                throw HookError(.host, "\(error)")
            }
        }
        var journal: Journal?
        var staleUndone = false
        // A post-migration up after the pre-migration up of the same hook version on the same
        // tap continues its journal: what pre did stays (undoing it would flap the tap after the
        // guest landed), and down undoes both.
        var continued = 0
        if !dryRun, phase == .post,
            let previous = try attributed(
                instance, index, { () throws(HookError) in try Journal.load(path: journalPath) }),
            case .begin(_, version, interface, let space, let tapIndex, "pre")? = previous.entries.first,
            space == network.namespaceIdentity(), tapIndex == tap?.index
        {
            journal = previous
            continued = previous.entries.count
        }
        if !dryRun, journal == nil {
            // A journal left by an up that never went down (a crash) is undone first, so up
            // twice is up once.
            let begin = JournalEntry.begin(
                hook: path, version: version, interface: interface, namespace: network.namespaceIdentity(),
                index: tap?.index, phase: phase?.rawValue)
            journal = try attributed(instance, index) { () throws(HookError) in
                try Journal.create(
                    path: journalPath, first: begin, durable: durableJournal,
                    stale: {
                        self.undo($0, journalPath, network: network, ovs: ovs)
                        staleUndone = true
                    })
            }
            if !savedVersions.contains(version) {
                try attributed(instance, index) { () throws(HookError) in
                    try Self.saveCopy(source, version: version, stateDirectory: stateDirectory)
                }
                savedVersions.insert(version)
            }
        }
        // The tap read above starts the call's cache, unless undoing a stale journal changed it.
        let host = HookHost(
            network: network, ovs: ovs, journal: journal, interface: interface, tap: staleUndone ? nil : tap,
            dryRun: dryRun, executor: executor, files: files)
        host.claimedElsewhere = claims(except: journalPath, network: network)
        host.madeElsewhere = { [stateDirectory] entry in
            Self.otherJournals(except: journalPath, stateDirectory: stateDirectory).contains { journal in
                journal.changes.contains { Self.sameClaim($0.entry, entry) }
            }
        }
        let table = Self.nicTable(
            instance: instance, tags: tags, nic: nic, index: index, interface: interface, action: .up, phase: phase)
        do {
            try call(path: path, source: source, version: version, function: "up", nic: table, host: host)
        } catch {
            var hookError = HookError(error, instance: instance, nicIndex: index)
            if let journal {
                // A failing post undoes what it did itself; what pre did stays for down.
                let own = Array(journal.entries.dropFirst(continued))
                let begin = continued > 0 ? [journal.entries[0]] : []
                hookError.undoFailures = undo(begin + own, journalPath, network: network, ovs: ovs).failures
                if continued > 0 {
                    try? journal.dropLast(journal.entries.count - continued)
                } else {
                    try? journal.remove()
                }
            }
            throw hookError
        }
        return host.calls
    }

    /// Undoes a journal's entries on the links they changed (see ``JournalUndo``), asking the
    /// other journals of the node whether a rule or port left on a name another link has now
    /// is that link's NIC's.
    @discardableResult
    func undo(
        _ entries: [JournalEntry], _ path: String, network: HostNetwork, ovs: OpenVSwitch?
    ) -> JournalUndo.Outcome {
        JournalUndo.run(
            entries, network: network, ovs: ovs, commands: executor, files: files,
            claimedElsewhere: claims(except: path, network: network))
    }

    /// Undoes a journal no hook call is running for (its worker was killed or died, mid-way):
    /// on the links it changed only, asking the node's other journals, then removes it.
    public static func undo(
        _ journal: Journal, stateDirectory: String, network: HostNetwork, ovs: OpenVSwitch?,
        commands: HookHost.Executor? = HookHost.spawn, files: any HookFiles = ConfinedFiles(roots: [])
    ) -> JournalUndo.Outcome {
        let outcome = JournalUndo.run(
            journal.entries, network: network, ovs: ovs, commands: commands, files: files,
            claimedElsewhere: claims(except: journal.path, stateDirectory: stateDirectory, network: network))
        try? journal.remove()
        return outcome
    }

    /// Asks the node's other journals (read on the first question) whether one of them made
    /// `entry`'s change for the link that has the name now.
    func claims(except path: String, network: HostNetwork) -> JournalUndo.Claims {
        Self.claims(except: path, stateDirectory: stateDirectory, network: network)
    }

    static func claims(except path: String, stateDirectory: String, network: HostNetwork) -> JournalUndo.Claims {
        var others: [JournalLinks]?
        let namespace = network.namespaceIdentity()
        return { entry, index in
            if others == nil { others = otherJournals(except: path, stateDirectory: stateDirectory) }
            return others!.contains { journal in
                journal.namespace == namespace
                    && journal.changes.contains { change in
                        Self.sameClaim(change.entry, entry)
                            && entry.linkNames.allSatisfy { change.links[$0] == .index(index) }
                    }
            }
        }
    }

    /// Whether `made` (another journal's entry) is the change `asked` describes: the same rule
    /// (family, device, table), the same switch port, an uplink VLAN taphouse added (not one
    /// that was there before it).
    static func sameClaim(_ made: JournalEntry, _ asked: JournalEntry) -> Bool {
        switch (made, asked) {
        case (.ruleAdded(let x), .ruleAdded(let y)): x.family == y.family && x.device == y.device && x.table == y.table
        case (.ovsPortAdded(_, let x), .ovsPortAdded(_, let y)): x == y
        case (.bridgeVLANAdded(let x, let vlan, nil, _), .bridgeVLANAdded(let y, let asked, _, _)):
            x == y && vlan.vid == asked.vid
        case (.exec(_, let x?, let xInput, let xLink?), .exec(_, let y?, let yInput, let yLink?)):
            x == y && xInput == yInput && xLink == yLink
        case (.fileWritten(let x, _, _, _, _, let xLink?), .fileWritten(let y, _, _, _, _, let yLink?)):
            x == y && xLink == yLink
        case (.neighbourAdded(let x), .neighbourAdded(let y)): x == y
        default: false
        }
    }

    /// Every NIC journal of the node but the one at `path` (unreadable ones are skipped: they
    /// claim nothing).
    static func otherJournals(except path: String, stateDirectory: String) -> [JournalLinks] {
        let root = StateDirectory(stateDirectory).journals
        var journals: [JournalLinks] = []
        // journal/hooks/ of older versions holds hook texts, whose names are no NIC index.
        for instance in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            for nic in (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + instance)) ?? [] {
                let file = "\(root)/\(instance)/\(nic)"
                guard file != path, Int(nic) != nil, let journal = try? Journal.load(path: file) else { continue }
                journals.append(JournalLinks(journal.entries))
            }
        }
        return journals
    }

    /// Takes a NIC down: runs its hook's own `down` if it has one (the version that brought it
    /// up), then undoes the journal whatever `down` did, and removes the journal.
    @discardableResult
    public func down(
        instance: String, tags: [String], nic: NICSpec, index: Int, interface: String, phase: Phase? = nil,
        network: HostNetwork, ovs: OpenVSwitch?, dryRun: Bool = false
    ) throws(HookError) -> [HookCallLine] {
        let journalPath = Journal.path(stateDirectory: stateDirectory, instance: instance, nicIndex: index)
        let journal = try attributed(instance, index) { () throws(HookError) in try Journal.load(path: journalPath) }
        var path: String
        var source: [UInt8]
        if case .begin(let hook, let version, _, _, _, _) = journal?.entries.first,
            let copy = FileManager.default.contents(
                atPath: Self.copyPath(version: version, stateDirectory: stateDirectory))
                // Kept under journal/hooks/ by versions before hook-versions/.
                ?? FileManager.default.contents(atPath: StateDirectory(stateDirectory).legacyHookVersion(version))
        {
            (path, source) = (hook, Array(copy))
        } else {
            path = try attributed(instance, index) { () throws(HookError) in try hookFile(mode: nic.mode).path }
            source = try attributed(instance, index) { () throws(HookError) in try text(of: path).source }
        }
        // A tap that is gone and whose name another link took since is not this NIC's: the
        // hook's own down must not see it, let alone change it.
        var hidden: String?
        if let journal {
            let links = JournalLinks(journal.entries)
            if let tap = links.interface, links.namespace != nil,
                case .replaced? = try? LinkMatcher(network: network, namespace: links.namespace).match(
                    tap, links.interfaceRecord)
            {
                hidden = tap
            }
        }
        let host = HookHost(
            network: network, ovs: ovs, journal: nil, interface: interface, hidden: hidden, dryRun: dryRun,
            executor: executor, files: files)
        let table = Self.nicTable(
            instance: instance, tags: tags, nic: nic, index: index, interface: interface, action: .down, phase: phase)
        var downError: HookError?
        let version = Self.version(source)
        // A hook version without a down of its own (the built-in ones) is not run again to find
        // that out: its top level would run for nothing on every NIC's down.
        if !versionsWithoutDown.contains(version) {
            do {
                try call(path: path, source: source, version: version, function: "down", nic: table, host: host)
            } catch  where error.code == .missingFunction {
                // No down of its own: the journal's undo is the down.
                versionsWithoutDown.insert(version)
            } catch {
                downError = HookError(error, instance: instance, nicIndex: index)
            }
        }
        var calls = host.calls
        if let journal {
            if dryRun {
                calls += Self.undoPreview(journal.entries)
            } else {
                let outcome = undo(journal.entries, journalPath, network: network, ovs: ovs)
                calls += outcome.lines
                try? journal.remove()
                let failures = outcome.failures
                if !failures.isEmpty {
                    var error =
                        downError
                        ?? HookError(
                            .host, "down could not undo everything", instance: instance, nicIndex: index, hookFile: path
                        )
                    error.undoFailures = failures
                    downError = error
                }
            }
        }
        if let downError { throw downError }
        return calls
    }

    /// What undoing `entries` would call, newest first, where their links are still the
    /// journal's; what is never undone is marked so.
    static func undoPreview(_ entries: [JournalEntry]) -> [HookCallLine] {
        entries.reversed().filter(\.isChange).flatMap { entry -> [HookCallLine] in
            if entry.isNeverUndone {
                return [HookCallLine(call: entry.summary, kind: .notUndone, reason: "recorded, never undone")]
            }
            return entry.undoCalls.map { HookCallLine(call: $0.description, kind: .undo) }
        }
    }

    /// Calls `function` of the hook with the `nic` table, with the context pointing at `host`.
    private func call(
        path: String, source: [UInt8], version: String, function: String, nic: LuaValue, host: HookHost
    ) throws(LuaError) {
        _ = try warm.with(path: path, source: source, version: version, host: host) { state, chunk throws(LuaError) in
            try state.call(chunk, function: function, arguments: [nic], strict: [0: Self.nicShape])
        }
    }

    /// The hook's text and version, read again only when the file changed.
    private func text(of path: String) throws(HookError) -> (source: [UInt8], version: String) {
        do {
            if let cached = sources[path], try LuaSourceFile.stamp(of: path) == cached.stamp {
                return (cached.source, cached.version)
            }
            let (source, stamp) = try LuaSourceFile.read(path)
            let version = Self.version(source)
            sources[path] = (stamp, source, version)
            return (source, version)
        } catch {
            throw HookError(.missingHook, error.message, hookFile: path)
        }
    }

    /// The hook's version: the SHA-256 of its text.
    public static func version(_ source: [UInt8]) -> String {
        SHA256.hash(data: source).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    /// Where the text of a hook version is kept: `down` runs the version that brought a NIC up.
    static func copyPath(version: String, stateDirectory: String) -> String {
        StateDirectory(stateDirectory).hookVersion(version)
    }

    /// Keeps the hook's text under its version (once per version: NICs brought up by the same
    /// version share it; a few KiB per version ever used, on the tmpfs state directory).
    static func saveCopy(_ source: [UInt8], version: String, stateDirectory: String) throws(HookError) {
        let copy = copyPath(version: version, stateDirectory: stateDirectory)
        if access(copy, F_OK) == 0 { return }
        let folder = (copy as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: copy + ".tmp", contents: Data(source)),
            rename(copy + ".tmp", copy) == 0
        else { throw HookError(.journal, "\(copy): cannot save the hook's text") }
    }

    /// Runs `body`, naming the instance and NIC in any error it throws.
    private func attributed<T>(
        _ instance: String, _ index: Int, _ body: () throws(HookError) -> T
    ) throws(HookError) -> T {
        do {
            return try body()
        } catch {
            var named = error
            named.instance = instance
            named.nicIndex = index
            throw named
        }
    }
}

/// The NIC modes a hook can serve.
public enum HookModes {
    public static let all = ["bridged", "routed", "openvswitch", "ext"]
    public static func isValid(_ mode: String) -> Bool { all.contains(mode) }
}

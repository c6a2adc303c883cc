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
    public enum Action: String, Sendable { case up, down }
    public enum Phase: String, Sendable { case pre, post }

    public let directories: HookDirectories
    public let stateDirectory: String
    /// What runs a hook's `exec` (hook specs answer instead of spawning).
    public var executor: HookHost.Executor = HookHost.spawn
    /// Whether journal writes are fsync'd (not when the state directory is on tmpfs).
    private let durableJournal: Bool
    private let sandbox: HookSandbox
    private let context = HookContext()
    private var state: LuaState?
    /// Compiled hook chunks by path, with the version (content hash) they were compiled from.
    private var chunks: [String: (version: String, chunk: LuaChunk)] = [:]
    /// Hook texts by path with their version, kept while the file's stamp is unchanged: a NIC's
    /// up costs one stat, not a read and a hash.
    private var sources: [String: (stamp: LuaSourceFile.Stamp, source: [UInt8], version: String)] = [:]
    /// Hook versions whose text this runner has kept in the state directory.
    private var savedVersions: Set<String> = []

    public init(
        directories: HookDirectories, stateDirectory: String, limits: LuaLimits = HookSandbox.defaultLimits,
        logger: Logger
    ) {
        self.directories = directories
        self.stateDirectory = stateDirectory
        durableJournal = !FileSystem.isTmpfs(stateDirectory)
        sandbox = HookSandbox(limits: limits, moduleRoots: directories.moduleRoots, logger: logger)
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
        if let network = nic.network { fields["NETWORK"] = ["NAME": .string(network)] }
        return .map(fields)
    }

    /// Brings a NIC up: runs its hook's `up` with every change journaled; on failure undoes them.
    /// - Returns: the host changes made (or, with `dryRun`, that would be made).
    @discardableResult
    public func up(
        instance: String, tags: [String], nic: NICSpec, index: Int, interface: String, phase: Phase? = nil,
        network: HostNetwork, ovs: OpenVSwitch?, dryRun: Bool = false
    ) throws(HookError) -> [String] {
        let (path, _) = try attributed(instance, index) { () throws(HookError) in try hookFile(mode: nic.mode) }
        let (source, version) = try attributed(instance, index) { () throws(HookError) in try text(of: path) }
        let journalPath = Journal.path(stateDirectory: stateDirectory, instance: instance, nicIndex: index)
        var journal: Journal?
        if !dryRun {
            // A journal left by an up that never went down (a crash) is undone first, so up
            // twice is up once.
            journal = try attributed(instance, index) { () throws(HookError) in
                try Journal.create(
                    path: journalPath, first: .begin(hook: path, version: version, interface: interface),
                    durable: durableJournal, stale: { _ = JournalUndo.run($0, network: network, ovs: ovs) })
            }
            if !savedVersions.contains(version) {
                try attributed(instance, index) { () throws(HookError) in
                    try Self.saveCopy(source, version: version, stateDirectory: stateDirectory)
                }
                savedVersions.insert(version)
            }
        }
        let host = HookHost(
            network: network, ovs: ovs, journal: journal, interface: interface, dryRun: dryRun, executor: executor)
        let table = Self.nicTable(
            instance: instance, tags: tags, nic: nic, index: index, interface: interface, action: .up, phase: phase)
        do {
            try call(path: path, source: source, version: version, function: "up", nic: table, host: host)
        } catch {
            var hookError = HookError(error, instance: instance, nicIndex: index)
            if let journal {
                hookError.undoFailures = JournalUndo.run(journal.entries, network: network, ovs: ovs)
                try? journal.remove()
            }
            throw hookError
        }
        return host.calls
    }

    /// Takes a NIC down: runs its hook's own `down` if it has one (the version that brought it
    /// up), then undoes the journal whatever `down` did, and removes the journal.
    @discardableResult
    public func down(
        instance: String, tags: [String], nic: NICSpec, index: Int, interface: String, phase: Phase? = nil,
        network: HostNetwork, ovs: OpenVSwitch?, dryRun: Bool = false
    ) throws(HookError) -> [String] {
        let journalPath = Journal.path(stateDirectory: stateDirectory, instance: instance, nicIndex: index)
        let journal = try attributed(instance, index) { () throws(HookError) in try Journal.load(path: journalPath) }
        var path: String
        var source: [UInt8]
        if case .begin(let hook, let version, _) = journal?.entries.first,
            let copy = FileManager.default.contents(
                atPath: Self.copyPath(version: version, stateDirectory: stateDirectory))
        {
            (path, source) = (hook, Array(copy))
        } else {
            path = try attributed(instance, index) { () throws(HookError) in try hookFile(mode: nic.mode).path }
            source = try attributed(instance, index) { () throws(HookError) in try text(of: path).source }
        }
        let host = HookHost(
            network: network, ovs: ovs, journal: nil, interface: interface, dryRun: dryRun, executor: executor)
        let table = Self.nicTable(
            instance: instance, tags: tags, nic: nic, index: index, interface: interface, action: .down, phase: phase)
        var downError: HookError?
        do {
            try call(
                path: path, source: source, version: Self.version(source), function: "down", nic: table, host: host)
        } catch  where error.code == .missingFunction {
            // No down of its own: the journal's undo is the down.
        } catch {
            downError = HookError(error, instance: instance, nicIndex: index)
        }
        var calls = host.calls
        if let journal {
            if dryRun {
                calls += journal.entries.reversed().compactMap { entry in
                    if case .begin = entry { return nil }
                    return "undo: " + entry.summary
                }
            } else {
                let failures = JournalUndo.run(journal.entries, network: network, ovs: ovs)
                try? journal.remove()
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

    /// Calls `function` of the hook with the `nic` table, with the context pointing at `host`.
    private func call(
        path: String, source: [UInt8], version: String, function: String, nic: LuaValue, host: HookHost
    ) throws(LuaError) {
        let state = try warmState()
        let chunk: LuaChunk
        if let cached = chunks[path], cached.version == version {
            chunk = cached.chunk
        } else {
            chunk = try state.load(source: String(decoding: source, as: UTF8.self), name: path)
            chunks[path] = (version, chunk)
        }
        context.host = host
        defer { context.host = nil }
        _ = try state.call(chunk, function: function, arguments: [nic])
    }

    private func warmState() throws(LuaError) -> LuaState {
        if let state { return state }
        let made = try sandbox.makeState(context: context)
        state = made
        return made
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
    static func version(_ source: [UInt8]) -> String {
        SHA256.hash(data: source).map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    /// Where the text of a hook version is kept: `down` runs the version that brought a NIC up.
    static func copyPath(version: String, stateDirectory: String) -> String {
        "\(stateDirectory)/journal/hooks/\(version).lua"
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

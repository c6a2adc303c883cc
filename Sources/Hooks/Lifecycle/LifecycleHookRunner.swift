import Foundation
import HostNet
import Logging
import LuaKit
import QEMU

/// Runs `instance.lua`, the lifecycle hook (design 4.7): the site's, else the built-in one
/// (which does nothing), returns a table of functions named after ``LifecycleEvent``s; each one
/// the table has is called with the read-only `instance` view, in the hook sandbox with the hook
/// budgets and the `taphouse.*` API. What the calls change is kept in one journal per instance
/// (`journal/<instance>/instance`), from the first `pre_start` to the end:
/// ``NodeHooks/finishLifecycle(instance:)`` undoes it, after `post_stop`, as a NIC's `down`
/// undoes its journal. A call that fails undoes
/// its own changes first. One warm Lua state serves every call.
public final class LifecycleHookRunner {
    /// The hook's file name, in the built-in hooks and in the site's hooks directory.
    public static let fileName = "instance.lua"

    public let directories: HookDirectories
    public let stateDirectory: String
    /// What runs a hook's `exec` (hook specs answer instead of spawning).
    public var executor: HookHost.Executor = HookHost.spawn
    public var files: any HookFiles
    private let durableJournal: Bool
    private let warm: WarmHookState

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

    /// The hook file that serves, and whether it is the built-in one; nil where there is none
    /// at all (a node whose built-in hooks predate lifecycle hooks): nothing to run.
    public func hookFile() -> (path: String, builtin: Bool)? { directories.hookFile(Self.fileName) }

    /// Where an instance's lifecycle journal is.
    public static func journalPath(stateDirectory: String, instance: String) -> String {
        StateDirectory(stateDirectory).lifecycleJournal(instance)
    }

    /// Calls the event's function, if the hook has one, with every change journaled.
    /// - Returns: the host changes made.
    @discardableResult
    public func run(
        _ call: LifecycleHookCall, network: HostNetwork, ovs: OpenVSwitch?
    ) throws(HookError)
        -> [HookCallLine]
    {
        // The built-in hook does nothing: a node without a site hook pays no journal for it.
        guard let (path, builtin) = hookFile(), !builtin else { return [] }
        let source: [UInt8]
        do {
            source = try LuaSourceFile.read(path).bytes
        } catch {
            throw HookError(.missingHook, error.message, instance: call.instance, hookFile: path)
        }
        let version = NetworkHookRunner.version(source)
        let journalPath = Self.journalPath(stateDirectory: stateDirectory, instance: call.instance)
        let previous: Journal?
        do {
            previous = try Journal.load(path: journalPath)
        } catch {
            throw named(error, call)
        }
        var journal = previous
        let kept = previous?.entries.count ?? 0
        if journal == nil {
            do {
                journal = try Journal.create(
                    path: journalPath,
                    first: .begin(
                        hook: path, version: version, interface: "", namespace: network.namespaceIdentity()),
                    durable: durableJournal)
                try NetworkHookRunner.saveCopy(source, version: version, stateDirectory: stateDirectory)
            } catch {
                throw named(error, call)
            }
        }
        let host = HookHost(network: network, ovs: ovs, journal: journal, executor: executor, files: files)
        do {
            _ = try warm.with(path: path, source: source, version: version, host: host) {
                state, chunk throws(LuaError) in
                try state.callFunction(chunk, call.event.rawValue, arguments: [call.table], readOnly: [0: "instance"])
            }
        } catch  where error.code == .missingFunction {
            // A hook without a function for this event has nothing to do for it.
        } catch {
            var failure = HookError(error, instance: call.instance)
            if let journal {
                // This call's own changes go; what the calls before it did stays for the end.
                let own = Array(journal.entries.dropFirst(max(kept, 1)))
                failure.undoFailures =
                    JournalUndo.run(
                        [journal.entries[0]] + own, network: network, ovs: ovs, commands: executor, files: files
                    ).failures
                if kept > 0 {
                    try? journal.dropLast(journal.entries.count - kept)
                } else {
                    try? journal.remove()
                }
            }
            throw failure
        }
        if kept == 0, journal?.entries.count == 1 {
            // Nothing was changed: no journal stays for an instance whose hook did nothing.
            try? journal?.remove()
        }
        return host.calls
    }

    private func named(_ error: HookError, _ call: LifecycleHookCall) -> HookError {
        var named = error
        named.instance = call.instance
        return named
    }
}

import Foundation
import HostNet
import Logging
import LuaKit
import QEMU

/// Runs hook spec files against fake nodes: no root, no network, no process. Each case gets its
/// own node, state folder and Lua state; the hook is the one that would serve the NIC's mode
/// (the site's override where `directories.site` has one, else the built-in one). Console cases
/// run the console policy hook the same way, with no node at all.
public final class HookSpecRunner {
    public let directories: HookDirectories
    public let limits: LuaLimits
    let logger: Logger
    /// What each site hook says it replaces on purpose (``replacement(_:)``), once read.
    private var replacements: [String: String] = [:]

    public init(directories: HookDirectories, limits: LuaLimits = HookSandbox.defaultLimits) {
        self.directories = directories
        self.limits = limits
        logger = Logger(label: "taphouse.spec", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// The spec files to run: every `*_spec.lua` under each path (a file is taken as given); with
    /// no paths, those shipped with the built-in hooks and those under the site's `spec/`.
    public func specFiles(_ paths: [String]) throws(HookError) -> [String] {
        if paths.isEmpty {
            return ([directories.builtin] + (directories.site.map { [$0] } ?? [])).flatMap { root in
                Self.specs(under: root + "/spec")
            }
        }
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw HookError(.missingHook, "no spec file or folder \(path)")
            }
            files += isFolder.boolValue ? Self.specs(under: path) : [path]
        }
        return files
    }

    static func specs(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix("_spec.lua") }.sorted().map {
            (folder as NSString).appendingPathComponent($0)
        }
    }

    /// Every case of every file, run in order.
    public func run(files: [String]) -> [HookSpecResult] {
        files.flatMap { file -> [HookSpecResult] in
            switch load(file) {
            case .success(let cases):
                return cases.map { HookSpecResult(name: $0.name, location: $0.location, outcome: run($0)) }
            case .failure(let error):
                return [
                    HookSpecResult(
                        name: "loading the spec file", location: error.line.map { "\(file):\($0)" } ?? file,
                        outcome: .failed([error.description]))
                ]
            }
        }
    }

    /// The cases a spec file registers (it runs in the hook sandbox, with `taphouse.test`).
    public func load(_ file: String) -> Result<[HookSpecCase], LuaError> {
        let collector = TestModule.Collector()
        let sandbox = HookSandbox(limits: limits, moduleRoots: directories.moduleRoots, logger: logger)
        do {
            let state = try LuaState(
                configuration: LuaConfiguration(
                    limits: limits, moduleRoots: directories.moduleRoots,
                    modules: sandbox.modules(context: HookContext()) + [TestModule.module(collector)],
                    output: { _ in }, logger: logger))
            _ = try state.call(try state.load(file: file))
        } catch {
            return .failure(error)
        }
        return .success(collector.cases)
    }

    /// Runs one case: the action, its expectations, then the built-in properties.
    public func run(_ specCase: HookSpecCase) -> HookSpecOutcome {
        if ConsoleSpec.isConsoleCase(specCase.table) { return runConsole(specCase) }
        if LifecycleSpec.isLifecycleCase(specCase.table) { return runLifecycle(specCase) }
        let spec: HookSpec
        do {
            spec = try HookSpec(specCase.table)
        } catch {
            return .failed(["the case cannot run: \(error)"])
        }
        if let skip = spec.skip { return .skipped(skip) }
        // A built-in spec run against the site's override of its mode (`hooks test --hooks-dir`):
        // the site is held to the built-in's contract, less the exec calls a wrapper adds.
        let override =
            spec.site.isEmpty && specCase.file.hasPrefix(directories.builtin + "/spec/")
            ? directories.site.map { "\($0)/network/\(spec.nic.spec.mode).lua" }.flatMap {
                FileManager.default.fileExists(atPath: $0) ? $0 : nil
            } : nil
        if spec.withoutSiteHook, let override {
            return .skipped("the site has its own hook for mode \(spec.nic.spec.mode) (\(override))")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taphouse-spec-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            let outcome = try run(spec, in: folder, override: override)
            if let override, case .failed(let failures) = outcome, let reason = replacement(override) {
                return .departed(hook: override, reason: reason, failures: failures)
            }
            return outcome
        } catch let error as SpecError {
            return .failed(["the case cannot run: \(error)"])
        } catch {
            return .failed(["the case cannot run: \(error)"])
        }
    }

    /// Why a site hook replaces the built-in one on purpose (the `replaces` string of the table
    /// it returns), or nil when it does not say so (then a built-in spec it fails is a failure).
    func replacement(_ hook: String) -> String? {
        if let known = replacements[hook] { return known }
        let sandbox = HookSandbox(limits: limits, moduleRoots: directories.moduleRoots, logger: logger)
        guard let state = try? sandbox.makeState(),
            let returned = try? state.call(state.load(file: hook), opaque: .describe),
            case .string(let reason)? = returned.first?["replaces"]
        else { return nil }
        replacements[hook] = reason
        return reason
    }

    private func run(_ spec: HookSpec, in folder: String, override: String?) throws -> HookSpecOutcome {
        var site = directories.site
        if !spec.site.isEmpty {
            site = folder + "/site"
            try FileManager.default.createDirectory(atPath: site! + "/network", withIntermediateDirectories: true)
            for (mode, source) in spec.site {
                try Data(source.utf8).write(to: URL(fileURLWithPath: "\(site!)/network/\(mode).lua"))
            }
        }
        var failures: [String] = []
        let taps = [spec.nic.interface] + spec.others.map(\.interface)
        let node = try FakeNode(spec.host, taps: taps)
        let runner = makeRunner(site: site, state: folder + "/state", node: node, spec: spec)
        // What the host must come back to: as it was, with the other NICs up.
        var before = node.snapshot
        do {
            if spec.action == .down { try act(.up, runner, node, spec) }
            for other in spec.others { try act(.up, runner, node, spec, nic: other) }
        } catch {
            return .failed(["bringing up the NICs before the \(spec.action.rawValue) this case checks failed: \(error)"]
            )
        }
        if !spec.others.isEmpty {
            let reference = try FakeNode(spec.host, taps: taps)
            let referenceRunner = makeRunner(site: site, state: folder + "/reference", node: reference, spec: spec)
            for other in spec.others { try act(.up, referenceRunner, reference, spec, nic: other) }
            before = reference.snapshot
        }
        node.log.clear()
        var thrown: HookError?
        do {
            try act(spec.action, runner, node, spec)
        } catch {
            thrown = error
        }
        let calls = node.log.entries

        if let expected = spec.expectedError {
            failures += expected.failures(
                thrown, action: spec.action.rawValue,
                builtin: "\(directories.builtin)/network/\(spec.nic.spec.mode).lua")
        } else if let thrown {
            failures.append("\(spec.action.rawValue) failed\n  expected: no error\n  actual:   \(thrown)")
        }
        // A site hook wrapping the built-in one under its specs may add exec calls (firewall
        // rules, a daemon's session): the rest must be exactly the built-in's.
        var extra: [String] = []
        if let expected = spec.expectedCalls, expected != calls {
            let added = calls.filter { $0.hasPrefix("exec ") && !expected.contains($0) }
            if override != nil, !added.isEmpty, calls.filter({ !added.contains($0) }) == expected {
                extra = added
            } else {
                failures.append("the host calls differ\n  expected:\(list(expected))\n  actual:\(list(calls))")
            }
        }
        failures += try expectationFailures(
            calls: calls, expected: nil, host: spec.expectedHost, node: node, action: spec.action.rawValue)

        // The built-in properties.
        if spec.checkUndo {
            if thrown != nil, spec.action == .up {
                let changed = Self.differences(before, node.snapshot, path: "host")
                if !changed.isEmpty {
                    failures.append(
                        (["property: a failing up leaves the host as it was"] + changed.map { "  " + $0 }).joined(
                            separator: "\n"))
                }
            } else if thrown == nil {
                var downFailed = false
                if spec.action == .up {
                    do {
                        try act(.down, runner, node, spec)
                    } catch {
                        downFailed = true
                        failures.append("property: up then down leaves the host as it was\n  down failed: \(error)")
                    }
                }
                let changed = Self.differences(before, node.snapshot, path: "host")
                if !downFailed, !changed.isEmpty {
                    failures.append(
                        (["property: up then down leaves the host as it was"] + changed.map { "  " + $0 }).joined(
                            separator: "\n"))
                }
            }
        }
        if spec.checkTwice, spec.action == .up, thrown == nil {
            let again = try FakeNode(spec.host, taps: taps)
            let twice = makeRunner(site: site, state: folder + "/twice", node: again, spec: spec)
            do {
                for other in spec.others { try act(.up, twice, again, spec, nic: other) }
                try act(.up, twice, again, spec)
                let once = again.snapshot
                try act(.up, twice, again, spec)
                let changed = Self.differences(once, again.snapshot, path: "host")
                if !changed.isEmpty {
                    failures.append(
                        (["property: up twice is up once (after the second up)"] + changed.map { "  " + $0 }).joined(
                            separator: "\n"))
                }
            } catch {
                failures.append("property: up twice is up once\n  the second up failed: \(error)")
            }
        }
        if spec.checkReplaced, spec.action == .up, thrown == nil {
            failures += try replacedTap(spec, site: site, folder: folder + "/replaced", taps: taps)
        }
        // Only ext NICs get both phases on a migration target (routed ones get post alone).
        if spec.checkPhases, spec.phase == .post, spec.action == .up, spec.nic.spec.mode == "ext", thrown == nil {
            failures += try phasesContinue(spec, site: site, folder: folder + "/phases", taps: taps)
        }
        if failures.isEmpty, let override, !extra.isEmpty { return .kept(hook: override, extra: extra) }
        return failures.isEmpty ? .passed : .failed(failures)
    }

    /// Two properties of a tap that dies with its qemu before its NIC's down (the way a stop or
    /// a crash goes):
    /// - down after the tap is gone leaves nothing the NIC's up added (records named after the
    ///   tap that were there before, stale rules or switch ports, may go: they are not put back
    ///   for a name no link has);
    /// - when another instance's NIC (the same fields) got a new tap of that name and came up
    ///   through the same hook before the first NIC's down, that down leaves the host exactly
    ///   as the other NIC's up left it.
    private func replacedTap(_ spec: HookSpec, site: String?, folder: String, taps: [String]) throws -> [String] {
        let tap = spec.nic.interface
        var failures: [String] = []

        let single = try FakeNode(spec.host, taps: taps)
        let singleRunner = makeRunner(site: site, state: folder + "/single", node: single, spec: spec)
        let before = try FakeNode(spec.host, taps: taps)
        let beforeRunner = makeRunner(site: site, state: folder + "/before", node: before, spec: spec)
        do {
            for nic in spec.others {
                try act(.up, singleRunner, single, spec, nic: nic)
                try act(.up, beforeRunner, before, spec, nic: nic)
            }
            try act(.up, singleRunner, single, spec)
            single.host.removeLink(tap)
            before.host.removeLink(tap)
            try act(.down, singleRunner, single, spec)
        } catch {
            return ["property: down after the tap is gone leaves nothing\n  failed: \(error)"]
        }
        before.host.state.rules.removeAll { rule in rule.device == tap && !single.host.state.rules.contains(rule) }
        if single.ovs.ports[tap] == nil { before.ovs.ports[tap] = nil }
        let left = Self.differences(before.snapshot, single.snapshot, path: "host")
        if !left.isEmpty {
            failures.append(
                (["property: down after the tap is gone leaves nothing"] + left.map { "  " + $0 }).joined(
                    separator: "\n"))
        }

        let node = try FakeNode(spec.host, taps: taps)
        let runner = makeRunner(site: site, state: folder + "/replaced", node: node, spec: spec)
        var other = spec.nic
        other.instance = "other-" + spec.nic.instance
        let property = "property: undo leaves a NIC that took the tap's name alone"
        do {
            for nic in spec.others { try act(.up, runner, node, spec, nic: nic) }
            try act(.up, runner, node, spec)
            node.host.removeLink(tap)
            node.addTap(tap, mac: "aa:bb:cc:dd:ee:f1")
            try act(.up, runner, node, spec, nic: other)
        } catch {
            return failures + ["\(property)\n  bringing the other NIC up failed: \(error)"]
        }
        let withOther = node.snapshot
        do {
            try act(.down, runner, node, spec)
        } catch {
            failures.append("\(property)\n  the first NIC's down failed: \(error)")
        }
        let changed = Self.differences(withOther, node.snapshot, path: "host")
        if !changed.isEmpty {
            failures.append(([property] + changed.map { "  " + $0 }).joined(separator: "\n"))
        }
        return failures
    }

    /// On a migration target `pre` and then `post` bring the NIC up: `post` continues `pre`'s
    /// journal, so nothing `pre` did is undone while the guest is running there (a tap losing UP
    /// or a MAC flipping back resets a BGP session), and `down` undoes both.
    private func phasesContinue(_ spec: HookSpec, site: String?, folder: String, taps: [String]) throws -> [String] {
        let property = "property: post after pre continues"
        let node = try FakeNode(spec.host, taps: taps)
        let runner = makeRunner(site: site, state: folder + "/node", node: node, spec: spec)
        // What undoing pre's journal would call, from a second node brought to the same state.
        let undone = try FakeNode(spec.host, taps: taps)
        let undoneRunner = makeRunner(site: site, state: folder + "/undone", node: undone, spec: spec)
        let before = node.snapshot
        let journalPath = Journal.path(
            stateDirectory: folder + "/node", instance: spec.nic.instance, nicIndex: spec.nic.index)
        let pre: [JournalEntry]
        do {
            for other in spec.others {
                try act(.up, runner, node, spec, nic: other)
                try act(.up, undoneRunner, undone, spec, nic: other)
            }
            try act(.up, runner, node, spec, phase: .pre)
            try act(.up, undoneRunner, undone, spec, phase: .pre)
            pre = try Journal.load(path: journalPath)?.entries ?? []
        } catch {
            return ["\(property)\n  the pre up failed: \(error)"]
        }
        let undoJournal = try Journal.load(
            path: Journal.path(
                stateDirectory: folder + "/undone", instance: spec.nic.instance, nicIndex: spec.nic.index))
        undone.log.clear()
        if let undoJournal {
            _ = NetworkHookRunner.undo(
                undoJournal, stateDirectory: folder + "/undone", network: undone.host, ovs: undone.ovs,
                commands: undoneRunner.executor, files: undone.files)
        }
        let undoCalls = Set(undone.log.entries)
        node.log.clear()
        do {
            try act(.up, runner, node, spec)
        } catch {
            return ["\(property)\n  the post up after pre failed: \(error)"]
        }
        var failures: [String] = []
        let reverted = node.log.entries.filter(undoCalls.contains)
        if !reverted.isEmpty {
            failures.append(
                (["\(property)\n  post undid what pre did:"] + reverted.map { "    " + $0 }).joined(separator: "\n"))
        }
        let after = try Journal.load(path: journalPath)?.entries ?? []
        if !pre.isEmpty, Array(after.prefix(pre.count)) != pre {
            failures.append("\(property)\n  the journal after post does not begin with pre's entries")
        }
        do {
            try act(.down, runner, node, spec)
            let changed = Self.differences(before, node.snapshot, path: "host")
            if !changed.isEmpty {
                failures.append(
                    (["\(property)\n  down after pre and post leaves the host changed"] + changed.map { "  " + $0 })
                        .joined(separator: "\n"))
            }
        } catch {
            failures.append("\(property)\n  down after pre and post failed: \(error)")
        }
        return failures
    }

    private func makeRunner(site: String?, state: String, node: FakeNode, spec: HookSpec) -> NetworkHookRunner {
        let runner = NetworkHookRunner(
            directories: HookDirectories(builtin: directories.builtin, site: site, library: directories.library),
            stateDirectory: state, limits: limits, logger: logger)
        runner.files = node.files
        runner.executor = Self.recording(node, answers: spec.exec)
        return runner
    }

    /// A spec never runs a program: the call is recorded on the node, the answer comes from the
    /// case (status 0 and no output where it gives none).
    static func recording(_ node: FakeNode, answers: [String: CommandRunner.Output]) -> HookHost.Executor {
        { request in
            let command = request.argv.joined(separator: " ")
            node.log.record("exec " + command)
            return answers[command] ?? CommandRunner.Output(status: 0, standardOutput: "", standardError: "")
        }
    }

    /// What differs from the calls and the host a case expects after `action`.
    func expectationFailures(
        calls: [String], expected: [String]?, host expectedHost: SpecTable?, node: FakeNode, action: String
    ) throws -> [String] {
        var failures: [String] = []
        if let expected, expected != calls {
            failures.append("the host calls differ\n  expected:\(list(expected))\n  actual:\(list(calls))")
        }
        if let expectedHost {
            let mismatches = try HostMatch.mismatches(expectedHost, node)
            if !mismatches.isEmpty {
                failures.append(
                    (["the host after \(action) differs"] + mismatches.map { "  " + $0 }).joined(separator: "\n"))
            }
        }
        return failures
    }

    private func act(
        _ action: NetworkHookRunner.Action, _ runner: NetworkHookRunner, _ node: FakeNode, _ spec: HookSpec,
        nic: HookSpec.NIC? = nil, phase: NetworkHookRunner.Phase?? = nil
    ) throws(HookError) {
        let nic = nic ?? spec.nic
        switch action {
        case .up:
            try runner.up(
                instance: nic.instance, tags: nic.tags, nic: nic.spec, index: nic.index, interface: nic.interface,
                phase: phase ?? spec.phase, network: node.host, ovs: node.ovs)
        case .down:
            try runner.down(
                instance: nic.instance, tags: nic.tags, nic: nic.spec, index: nic.index, interface: nic.interface,
                phase: spec.phase, network: node.host, ovs: node.ovs)
        }
    }

    /// What differs between two states of a node, one line per field.
    static func differences(_ before: LuaValue, _ after: LuaValue, path: String) -> [String] {
        if before == after { return [] }
        if case .map(let old) = before, case .map(let new) = after {
            return Set(old.keys).union(new.keys).sorted().flatMap { key in
                differences(old[key] ?? .nil, new[key] ?? .nil, path: "\(path).\(key)")
            }
        }
        func show(_ value: LuaValue) -> String { value == .nil ? "none" : HostMatch.describe(value) }
        return ["\(path): was \(show(before)), is \(show(after))"]
    }

    func list(_ calls: [String]) -> String {
        calls.isEmpty ? " (none)" : "\n" + calls.map { "    " + $0 }.joined(separator: "\n")
    }

}

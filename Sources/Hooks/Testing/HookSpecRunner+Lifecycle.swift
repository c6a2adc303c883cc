import Foundation
import HostNet
import LuaKit

extension HookSpecRunner {
    /// Runs a lifecycle case: the lifecycle hook that would serve (the case's `site` hook, else
    /// the hooks dir's, else the built-in one) with the case's event and instance on a fake
    /// node, then compares its host calls, the host after it, or how it failed, with `expect`;
    /// then the property: a call that fails leaves the node as it was, and what a call changed,
    /// undone at the instance's end, leaves it as it was too.
    func runLifecycle(_ specCase: HookSpecCase) -> HookSpecOutcome {
        let spec: LifecycleSpec
        do {
            spec = try LifecycleSpec(specCase.table)
        } catch {
            return .failed(["the case cannot run: \(error)"])
        }
        if let skip = spec.skip { return .skipped(skip) }
        // The built-in hook's specs say it does nothing: no contract for a site's own hook.
        if spec.site == nil, specCase.file.hasPrefix(directories.builtin + "/spec/"),
            let site = directories.site.map({ "\($0)/\(LifecycleHookRunner.fileName)" }),
            FileManager.default.fileExists(atPath: site)
        {
            return .skipped("the site has its own lifecycle hook (\(site))")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taphouse-spec-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            return try runLifecycle(spec, in: folder)
        } catch {
            return .failed(["the case cannot run: \(error)"])
        }
    }

    private func runLifecycle(_ spec: LifecycleSpec, in folder: String) throws -> HookSpecOutcome {
        var site = directories.site
        if let source = spec.site {
            site = folder + "/site"
            try FileManager.default.createDirectory(atPath: site!, withIntermediateDirectories: true)
            try Data(source.utf8).write(to: URL(fileURLWithPath: "\(site!)/\(LifecycleHookRunner.fileName)"))
        }
        let node = try FakeNode(spec.host, taps: spec.taps)
        let state = folder + "/state"
        let runner = LifecycleHookRunner(
            directories: HookDirectories(builtin: directories.builtin, site: site, library: directories.library),
            stateDirectory: state, limits: limits, logger: logger)
        runner.files = node.files
        runner.executor = Self.recording(node, answers: spec.exec)
        let before = node.snapshot
        node.log.clear()
        var thrown: HookError?
        do {
            try runner.run(spec.call, network: node.host, ovs: node.ovs)
        } catch {
            thrown = error
        }
        let calls = node.log.entries
        let event = spec.call.event.rawValue
        var failures: [String] = []
        if let expected = spec.expectedError {
            failures += expected.failures(thrown, action: event)
        } else if let thrown {
            failures.append("\(event) failed\n  expected: no error\n  actual:   \(thrown)")
        }
        failures += try expectationFailures(
            calls: calls, expected: spec.expectedCalls, host: spec.expectedHost, node: node, action: event)
        if spec.checkUndo {
            if thrown != nil {
                let changed = Self.differences(before, node.snapshot, path: "host")
                if !changed.isEmpty {
                    failures.append(
                        (["property: a failing \(event) leaves the host as it was"] + changed.map { "  " + $0 })
                            .joined(separator: "\n"))
                }
            } else {
                let path = LifecycleHookRunner.journalPath(stateDirectory: state, instance: spec.call.instance)
                if let journal = try Journal.load(path: path) {
                    let outcome = NetworkHookRunner.undo(
                        journal, stateDirectory: state, network: node.host, ovs: node.ovs,
                        commands: runner.executor, files: node.files)
                    failures += outcome.failures.map { "property: the instance's end undoes \(event)\n  \($0)" }
                }
                let changed = Self.differences(before, node.snapshot, path: "host")
                if !changed.isEmpty {
                    failures.append(
                        (["property: the instance's end undoes what \(event) changed"] + changed.map { "  " + $0 })
                            .joined(separator: "\n"))
                }
            }
        }
        return failures.isEmpty ? .passed : .failed(failures)
    }
}

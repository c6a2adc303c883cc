import ArgumentParser
import Foundation
import Hooks

/// `taphouse hooks test [PATH...]`: runs hook spec files against a fake in-memory node. Needs no
/// root and no network; exits non-zero when a case fails.
struct HooksTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run hook spec files against a fake node (no root, no network).",
        discussion: """
            With no PATH, runs the specs shipped with the built-in hooks and those under the hooks \
            dir's spec/ folder. A spec for a mode runs against the hooks dir's override of that \
            mode where there is one, so a site sees whether its override meets the built-in's specs.
            """)

    @OptionGroup var hooks: HooksDirectoryOption

    @Argument(help: "Spec files, or folders searched for *_spec.lua.")
    var paths: [String] = []

    func run() throws {
        let runner = HookSpecRunner(directories: hooks.directories)
        let files: [String]
        do {
            files = try runner.specFiles(paths)
        } catch {
            throw CommandFailure(error.description)
        }
        guard !files.isEmpty else { throw CommandFailure("no spec files found") }
        // Each case runs in a hook worker, as hooks do: a runaway case costs its worker only.
        let hooks = WorkerHooks(
            pool: HookWorkerPool(.taphouse(size: 1)),
            setup: HookWorkerSetup(directories: hooks.directories, stateDirectory: "/nonexistent"))
        let results = hooks.specResults(files: files)
        print(HookSpecReport.render(results))
        if results.contains(where: { if case .failed = $0.outcome { true } else { false } }) {
            throw ExitCode.failure
        }
    }
}

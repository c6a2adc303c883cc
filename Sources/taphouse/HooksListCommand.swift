import ArgumentParser
import Foundation
import Hooks

/// `taphouse hooks list`: which file serves each NIC mode, the console policy and the lifecycle
/// hook.
struct HooksListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show which hook file serves each NIC mode and the console policy (site or built-in).")

    @OptionGroup var hooks: HooksDirectoryOption

    func run() throws {
        let directories = hooks.directories
        func line(_ relative: String) -> String? {
            directories.hookFile(relative).map { "\($0.path) (\($0.builtin ? "built-in" : "site"))" }
        }
        for mode in HookModes.all {
            print(
                "\(mode)\t\(line("network/\(mode).lua") ?? (mode == "ext" ? "none: mode ext needs a site hook" : "none"))"
            )
        }
        print("console\t\(line(ConsolePolicy.fileName) ?? "none")")
        print("instance\t\(line(LifecycleHookRunner.fileName) ?? "none")")
    }
}

import ArgumentParser
import Foundation
import Hooks

/// `--hooks-dir`, for the commands that run hooks.
struct HooksDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("hooks-dir"),
        help: "The site hooks directory (default: $TAPHOUSE_HOOKS_DIR or /etc/taphouse/hooks).")
    var path: String?

    /// The site directory in force, and the install's built-in hooks and Lua library.
    var directories: HookDirectories {
        let site = path ?? ProcessInfo.processInfo.environment["TAPHOUSE_HOOKS_DIR"] ?? "/etc/taphouse/hooks"
        return HookDirectories.installed(site: site)
    }
}

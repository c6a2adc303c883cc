import ArgumentParser
import Foundation
import Hooks

/// `--hooks-dir`, for the commands that run hooks.
struct HooksDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("hooks-dir"),
        help: "The site hooks directory (default: $TAPHOUSE_HOOKS_DIR or /etc/taphouse/hooks).")
    var path: String?

    @Option(
        name: .customLong("hook-file-dir"),
        help:
            "A folder hooks may write files under with taphouse.file.write (repeatable; also $TAPHOUSE_HOOK_FILE_DIRS, colon-separated; none by default)."
    )
    var fileDirectories: [String] = []

    /// The site directory in force, the install's built-in hooks and Lua library, and the folders
    /// hooks may write files under.
    var directories: HookDirectories {
        let environment = ProcessInfo.processInfo.environment
        let site = path ?? environment["TAPHOUSE_HOOKS_DIR"] ?? "/etc/taphouse/hooks"
        let files =
            fileDirectories + (environment["TAPHOUSE_HOOK_FILE_DIRS"] ?? "").split(separator: ":").map(String.init)
        return HookDirectories.installed(site: site, files: files)
    }
}

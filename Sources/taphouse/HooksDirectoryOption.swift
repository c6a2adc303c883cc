import ArgumentParser
import Foundation
import Hooks
import LuaKit

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

    @Option(
        name: .customLong("hook-ceiling"),
        help:
            "The most one hook call may take in seconds, the commands it waits for included (default: $TAPHOUSE_HOOK_CEILING or 120; the Lua budget stays 2 s)."
    )
    var ceiling: Double?

    /// The budgets of each hook call: the sandbox's, with the node's ceiling.
    func limits() throws -> LuaLimits {
        var limits = HookSandbox.defaultLimits
        let text = ceiling.map { String($0) } ?? ProcessInfo.processInfo.environment["TAPHOUSE_HOOK_CEILING"]
        if let text {
            guard let seconds = Double(text), seconds >= 1, seconds <= 3600 else {
                throw CommandFailure("--hook-ceiling: \(text) is not a number of seconds from 1 to 3600")
            }
            limits.ceiling = .milliseconds(Int(seconds * 1000))
        }
        return limits
    }

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

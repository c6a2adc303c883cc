import ArgumentParser
import Foundation

/// `--state-dir`, shared by the commands that touch node state.
struct StateDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: "The node state directory (default: $TAPHOUSE_STATE_DIR or /var/run/taphouse).")
    var path: String?

    /// The directory in force: the option, else the environment, else the default.
    var resolved: String {
        path ?? ProcessInfo.processInfo.environment["TAPHOUSE_STATE_DIR"] ?? "/var/run/taphouse"
    }
}

import ArgumentParser
import Foundation
import Hooks
import Logging
import Node
import QEMU

/// The state and hooks directories every instance verb needs, and the manager over them.
struct NodeOptions: ParsableArguments {
    @OptionGroup var stateDirectory: StateDirectoryOption
    @OptionGroup var hooks: HooksDirectoryOption
    @Option(
        name: .customLong("uid-pool"),
        help: "The uids for security_model=pool, as Ganeti writes them: 1000-5000,8000 (default: $TAPHOUSE_UID_POOL).")
    var uidPool: String?
    @Option(
        name: .customLong("qemu-binary"),
        help:
            "A qemu binary specs may name in kvm_path, besides the usual ones (repeatable; also $TAPHOUSE_QEMU_BINARIES, colon-separated)."
    )
    var qemuBinaries: [String] = []

    /// - Parameter logger: where the manager logs; by default warnings only, as the verbs print
    ///   what they did and the log carries warnings (a quarantined chroot, an ACPI powerdown
    ///   that timed out).
    /// - Parameter site: the site hooks folder to run hooks from instead of `--hooks-dir` (the
    ///   daemon's live copy).
    func manager(logger: Logger? = nil, site: String? = nil) throws -> InstanceManager {
        var quiet = Logger(label: "taphouse")
        quiet.logLevel = .warning
        var directories = hooks.directories
        if let site { directories.site = site }
        return InstanceManager(
            stateDirectory: stateDirectory.resolved, hooks: directories, uidPool: try pool(),
            qemuBinaries: qemuBinaryList, workers: HookWorkerPool(.taphouse()), hookLimits: try hooks.limits(),
            logger: logger ?? quiet)
    }

    /// The daemon serving this state directory, when one runs and the verb may go through it.
    func daemon() -> DaemonClient? {
        DaemonClient.serving(StateDirectory(stateDirectory.resolved))
    }

    /// The qemu binaries specs may name: the usual ones, --qemu-binary and $TAPHOUSE_QEMU_BINARIES.
    var qemuBinaryList: Set<String> {
        InstanceManager.defaultQemuBinaries.union(qemuBinaries).union(
            (ProcessInfo.processInfo.environment["TAPHOUSE_QEMU_BINARIES"] ?? "").split(separator: ":").map(
                String.init))
    }

    func pool() throws -> UIDPool {
        let text = uidPool ?? ProcessInfo.processInfo.environment["TAPHOUSE_UID_POOL"] ?? ""
        do {
            return try UIDPool.parse(text)
        } catch {
            throw CommandFailure("--uid-pool: \(error.reason)")
        }
    }
}

/// Runs a verb: its error on standard error, exit status 1.
func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode.failure
    }
}

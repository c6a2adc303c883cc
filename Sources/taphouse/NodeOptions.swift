import ArgumentParser
import Foundation
import Logging
import Node

/// The state and hooks directories every instance verb needs, and the manager over them.
struct NodeOptions: ParsableArguments {
    @OptionGroup var stateDirectory: StateDirectoryOption
    @OptionGroup var hooks: HooksDirectoryOption

    var manager: InstanceManager {
        // The verbs print what they did; the log carries warnings (a quarantined chroot, an ACPI
        // powerdown that timed out).
        var logger = Logger(label: "taphouse")
        logger.logLevel = .warning
        return InstanceManager(stateDirectory: stateDirectory.resolved, hooks: hooks.directories, logger: logger)
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

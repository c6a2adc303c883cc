import ArgumentParser
import Dispatch
import Foundation
import Node
import Synchronization

/// Set by SIGINT while a migration runs: it is cancelled, not the process killed.
private let interrupted = Atomic<Bool>(false)

/// `taphouse instance migrate NAME --target ADDRESS:PORT [...]`: on the source.
struct InstanceMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Migrate an instance to a target that accepted it; then its NICs down and its qemu gone here.",
        discussion: """
            Completion is qemu's MIGRATION event. On failure or Ctrl-C the migration is cancelled and \
            the guest runs on here (resumed if --offline stopped it).
            """)

    @Argument(help: "The instance name.") var name: String
    @Option(help: "ADDRESS:PORT the target accepted on.") var target: String
    @Flag(help: "Stop the guest first (non-live).") var offline = false
    @Option(help: "MiB/s; 0 is no cap (default: the instance's migration_bandwidth).") var bandwidth: Int?
    @Option(help: "The longest pause to aim for, ms (default: the instance's migration_downtime).") var downtime: Int?
    @Flag(help: "Switch to postcopy (the target must accept with --postcopy).") var postcopy = false
    @Flag(help: "Print progress and the outcome as JSON objects, one a line.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let address = try MigrationAddress(target, field: "--target")
            for (option, value) in [("--bandwidth", bandwidth), ("--downtime", downtime)] {
                if let value, value < 0 { throw CommandFailure("\(option): \(value) is negative") }
            }
            let settings = MigrationSettings(
                offline: offline, bandwidth: bandwidth, downtime: downtime, postcopy: postcopy)
            let outcome: MigrationOutcome
            if let daemon = node.daemon() {
                var fields: [String: Any] = ["target": target, "offline": offline, "postcopy": postcopy]
                if let bandwidth { fields["bandwidth"] = bandwidth }
                if let downtime { fields["downtime"] = downtime }
                // Ctrl-C cancels the daemon's migration (which the request's end would not).
                signal(SIGINT, SIG_IGN)
                let interrupt = DispatchSource.makeSignalSource(signal: SIGINT)
                interrupt.setEventHandler {
                    Task {
                        _ = try? await daemon.send(.POST, "/v1/instances/\(DaemonClient.segment(name))/migrate-cancel")
                    }
                }
                interrupt.resume()
                defer {
                    interrupt.cancel()
                    signal(SIGINT, SIG_DFL)
                }
                let bytes = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(name))/migrate", body: DaemonClient.body(fields))
                outcome = try DaemonClient.decoder.decode(MigrationOutcome.self, from: Data(bytes))
            } else {
                signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
                defer { signal(SIGINT, SIG_DFL) }
                let terminal = isatty(STDOUT_FILENO) == 1 && !json
                var drewLine = false
                do {
                    outcome = try node.manager().migrate(
                        name, to: address, settings: settings,
                        progress: { seen in
                            if json {
                                Self.write(Self.line(seen) + "\n")
                            } else if terminal {
                                Self.write("\r\u{1B}[K\(seen.line)")
                                drewLine = true
                            }
                        },
                        cancelled: { interrupted.load(ordering: .relaxed) })
                } catch {
                    if drewLine { Self.write("\n") }
                    throw error
                }
                if drewLine { Self.write("\n") }
            }
            if json {
                Self.write(Self.line(outcome) + "\n")
            } else {
                Self.write(
                    "migrated \(name) to \(address) in \(outcome.totalTime) ms (qemu's downtime \(outcome.downtime) ms)\n"
                )
            }
        }
    }

    /// Unbuffered: a reader of a pipe sees each progress line as it comes.
    static func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

    static func line(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

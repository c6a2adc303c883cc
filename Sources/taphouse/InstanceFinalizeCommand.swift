import ArgumentParser
import Foundation
import Node

/// `taphouse instance finalize NAME --success|--failure`: on a migration target.
struct InstanceFinalizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "On a migration target: let the arrived guest run (--success) or clear what accept made (--failure).",
        discussion: """
            --success waits for the guest to arrive, runs the NICs' post phase (routed, ext) while it \
            waits paused, lets it run and announces it. --failure ends qemu, runs every NIC's down and \
            removes every file.
            """)

    enum Outcome: String, EnumerableFlag {
        case success, failure
    }

    @Argument(help: "The instance name.") var name: String
    @Flag(help: "How the migration ended on the source.") var outcome: Outcome
    @Option(help: "Seconds to wait for the guest to arrive.") var timeout = 60
    @Flag(help: "With --success, leave the guest paused.") var paused = false
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let success = outcome == .success
            var result: IncomingOutcome?
            if let daemon = node.daemon() {
                let bytes = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(name))/finalize",
                    body: DaemonClient.body(["success": success, "timeout": max(0, timeout), "paused": paused]))
                if success { result = try DaemonClient.decoder.decode(IncomingOutcome.self, from: Data(bytes)) }
            } else if success {
                result = try node.manager().finalizeIncoming(name, timeout: .seconds(max(0, timeout)), paused: paused)
            } else {
                try node.manager().abandonIncoming(name)
            }
            if json, let result {
                print(try InstanceInfoCommand.encode(result))
            } else if let result {
                let state = result.running ? "runs here" : "is here, paused"
                print("\(name) \(state)\(result.waitedForPost ? " (after the NICs' post phase)" : "")")
                for warning in result.warnings { print("warning: \(warning)") }
            } else {
                print("cleared \(name)")
            }
        }
    }
}

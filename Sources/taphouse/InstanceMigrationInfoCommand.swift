import ArgumentParser
import Node

/// `taphouse instance migration-info NAME`: on the source, what the target's `accept` needs.
struct InstanceMigrationInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migration-info",
        abstract: "Print what a migration target needs (the running instance's spec and runtime) as JSON.")

    @Argument(help: "The instance name.") var name: String
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            if let daemon = node.daemon() {
                let bytes = try await daemon.send(.GET, "/v1/instances/\(DaemonClient.segment(name))/migration-info")
                print(String(decoding: bytes, as: UTF8.self))
            } else {
                print(try node.manager().migrationInfo(name).json().text(pretty: true))
            }
        }
    }
}

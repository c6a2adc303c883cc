import ArgumentParser

/// `taphouse instance migrate-cancel NAME`: on the source.
struct InstanceMigrateCancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-cancel",
        abstract: "Cancel the instance's migration under way; the source runs on.")

    @Argument(help: "The instance name.") var name: String
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            if let daemon = node.daemon() {
                _ = try await daemon.send(.POST, "/v1/instances/\(DaemonClient.segment(name))/migrate-cancel")
            } else {
                try node.manager().cancelMigration(name)
            }
            print("cancelling the migration of \(name)")
        }
    }
}

import ArgumentParser

/// `taphouse instance cleanup NAME`.
struct InstanceCleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup", abstract: "Clear what a dead instance left: undo its NICs' journals, remove its files.")

    @Argument(help: "The instance name.") var name: String
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            if let daemon = node.daemon() {
                _ = try await daemon.send(.POST, "/v1/instances/\(DaemonClient.segment(name))/cleanup")
            } else {
                try node.manager().cleanup(name)
            }
            print("cleaned up \(name)")
        }
    }
}

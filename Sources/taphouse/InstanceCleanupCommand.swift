import ArgumentParser

/// `taphouse instance cleanup NAME`.
struct InstanceCleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup", abstract: "Clear what a dead instance left: undo its NICs' journals, remove its files.")

    @Argument(help: "The instance name.") var name: String
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            try node.manager().cleanup(name)
            print("cleaned up \(name)")
        }
    }
}

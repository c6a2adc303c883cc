import ArgumentParser

/// The `taphouse` command line: parses arguments, calls the libraries, prints.
@main
struct Taphouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taphouse",
        abstract: "A KVM node agent whose site policy lives in Lua 5.4 hooks.",
        version: TaphouseVersion.string,
        subcommands: [
            PlanCommand.self, RuntimeCommand.self, HooksCommand.self, InstanceCommand.self, NodeCommand.self,
            ServeCommand.self,
        ]
    )
}

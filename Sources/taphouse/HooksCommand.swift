import ArgumentParser

/// `taphouse hooks ...`: work with Lua hooks.
struct HooksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Work with Lua hooks.",
        subcommands: [
            HooksListCommand.self, HooksCheckCommand.self, HooksRunCommand.self, HooksEvalCommand.self,
            HooksTestCommand.self, HooksWorkerCommand.self,
        ]
    )
}

import ArgumentParser

/// The `taphouse` command line: parses arguments, calls the libraries, prints.
@main
struct Taphouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taphouse",
        abstract: "A KVM node agent whose site policy lives in Lua 5.4 hooks.",
        subcommands: [
            PlanCommand.self, RuntimeCommand.self, HooksCommand.self, InstanceCommand.self, NodeCommand.self,
            ServeCommand.self,
        ]
    )

    // `--version` is ours rather than ArgumentParser's: its text is fixed when the configuration
    // is made, and the qemu this node has is only known by asking it.
    @Flag(
        name: .customLong("version"),
        help: "Print taphouse's version, the Lua it runs and the qemu it finds (/usr/bin/qemu-system-x86_64).")
    var version = false

    func run() async throws {
        guard version else { throw CleanExit.helpRequest(self) }
        print(await TaphouseVersion.report(qemu: QemuOption.defaultPath))
    }
}

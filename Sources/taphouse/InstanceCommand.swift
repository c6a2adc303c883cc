import ArgumentParser

/// `taphouse instance ...`: the verbs on qemu instances of this node.
struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance", abstract: "Start, stop, reboot, list, describe and clean up instances.",
        subcommands: [
            InstanceStartCommand.self, InstanceStopCommand.self, InstanceRebootCommand.self,
            InstanceCleanupCommand.self, InstanceListCommand.self, InstanceInfoCommand.self,
            InstanceConsoleCommand.self,
        ])
}

import ArgumentParser

/// `taphouse instance ...`: the verbs on qemu instances of this node.
struct InstanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instance", abstract: "Start, stop, reboot, list, describe, clean up and migrate instances.",
        subcommands: [
            InstanceStartCommand.self, InstanceStopCommand.self, InstanceRebootCommand.self,
            InstanceCleanupCommand.self, InstanceListCommand.self, InstanceInfoCommand.self,
            InstanceConsoleCommand.self, InstanceMigrationInfoCommand.self, InstanceAcceptCommand.self,
            InstanceMigrateCommand.self, InstanceFinalizeCommand.self, InstanceMigrateCancelCommand.self,
            InstanceNICAddCommand.self, InstanceNICRemoveCommand.self, InstanceDiskAddCommand.self,
            InstanceDiskRemoveCommand.self,
        ])
}

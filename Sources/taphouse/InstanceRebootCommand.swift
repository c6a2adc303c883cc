import ArgumentParser

/// `taphouse instance reboot NAME [--timeout S]`.
struct InstanceRebootCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reboot", abstract: "Soft reboot: power the guest down, start it again from its saved runtime.")

    @Argument(help: "The instance name.") var name: String
    @Option(help: "Seconds to wait for the guest to power down before it is killed.") var timeout = 120
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            if let daemon = node.daemon() {
                _ = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(name))/reboot",
                    body: DaemonClient.body(["timeout": max(0, timeout)]))
            } else {
                try await node.manager().reboot(name, timeout: .seconds(max(0, timeout)))
            }
            print("rebooted \(name)")
        }
    }
}

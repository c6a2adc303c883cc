import ArgumentParser

/// `taphouse instance stop NAME [--force] [--timeout S]`.
struct InstanceStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop an instance: ACPI powerdown up to the timeout, then SIGTERM, then SIGKILL; then its NICs down.")

    @Argument(help: "The instance name.") var name: String
    @Flag(help: "Skip the ACPI powerdown.") var force = false
    @Option(help: "Seconds to wait for the guest to power down.") var timeout = 120
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            if let daemon = node.daemon() {
                _ = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(name))/stop",
                    body: DaemonClient.body(["force": force, "timeout": max(0, timeout)]))
            } else {
                try node.manager().stop(name, force: force, timeout: .seconds(max(0, timeout)))
            }
            print("stopped \(name)")
        }
    }
}

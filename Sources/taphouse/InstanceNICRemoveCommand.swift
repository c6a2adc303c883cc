import ArgumentParser

/// `taphouse instance nic-remove NAME --index N [--timeout S]`.
struct InstanceNICRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nic-remove",
        abstract: "Hot-remove a NIC: qemu's device, once the guest released it, then its netdev, down hook and tap.",
        discussion: """
            The NICs after it move up one. A guest that does not release the NIC within the timeout keeps it, \
            and nothing else changes: run it again.
            """)

    @OptionGroup var options: HotRemoveOptions

    func run() async throws {
        try await options.run("nics", "NIC") { _ = try $0.removeNIC(options.name, index: options.index, timeout: $1) }
    }
}

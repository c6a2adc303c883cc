import ArgumentParser

/// `taphouse instance disk-remove NAME --index N [--timeout S]`.
struct InstanceDiskRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk-remove",
        abstract: "Hot-remove a disk: qemu's device, once the guest released it, then its block device.",
        discussion: """
            The disks after it move up one. A guest that does not release the disk within the timeout keeps \
            it, and nothing else changes: run it again.
            """)

    @OptionGroup var options: HotRemoveOptions

    func run() async throws {
        try await options.run("disks", "disk") {
            _ = try $0.removeDisk(options.name, index: options.index, timeout: $1)
        }
    }
}

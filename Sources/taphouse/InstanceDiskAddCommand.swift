import ArgumentParser
import Foundation
import QEMU

/// `taphouse instance disk-add NAME --disk JSON`.
struct InstanceDiskAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk-add",
        abstract: "Hot-add a disk to a running instance: its file passed to qemu, then blockdev-add and device_add.",
        discussion: """
            The disk reads as a disk of an instance spec (uuid, path, mode, dev_type, uri, ...). It takes the \
            lowest free PCI slot (or SCSI id), and the saved runtime keeps it for a reboot or a migration. Any \
            failure undoes what was done.
            """)

    @Argument(help: "The instance name.") var name: String
    @Option(help: "The disk, as JSON (or @FILE to read it from a file).") var disk: String
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let text =
                disk.hasPrefix("@") ? try InputFile.read(String(disk.dropFirst()), what: "disk") : Data(disk.utf8)
            let parsed: DiskSpec
            switch Result(catching: { () throws(SpecError) in try InstanceSpec.parseDisk(json: text) }) {
            case .success(let value): parsed = value
            case .failure(let error): throw CommandFailure("--disk: \(error)")
            }
            let index: String
            if let daemon = node.daemon() {
                let answer = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(name))/disks", body: Array(text))
                let object = (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any]
                index = "\(object?["index"] ?? "?")"
            } else {
                index = "\(try await node.manager().addDisk(name, parsed).index)"
            }
            print("added disk \(index) to \(name)")
        }
    }
}

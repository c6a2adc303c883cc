import ArgumentParser
import Foundation
import QEMU

/// `taphouse instance nic-add NAME --nic JSON`.
struct InstanceNICAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nic-add",
        abstract: "Hot-add a NIC to a running instance: a tap, its up hook, then qemu's netdev and device.",
        discussion: """
            The NIC reads as a NIC of an instance spec (mac, ip, nicparams mode/link/vlan, ...); a uuid is made \
            when it has none. It takes the lowest free PCI slot, and the saved runtime keeps it for a reboot \
            or a migration. Any failure undoes what was done.
            """)

    @Argument(help: "The instance name.") var name: String
    @Option(help: "The NIC, as JSON (or @FILE to read it from a file).") var nic: String
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let text = nic.hasPrefix("@") ? try InputFile.read(String(nic.dropFirst()), what: "NIC") : Data(nic.utf8)
            let parsed: NICSpec
            switch Result(catching: { () throws(SpecError) in try InstanceSpec.parseNIC(json: text) }) {
            case .success(let value): parsed = value
            case .failure(let error): throw CommandFailure("--nic: \(error)")
            }
            if let daemon = node.daemon() {
                let answer = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(name))/nics", body: Array(text))
                let object = (try? JSONSerialization.jsonObject(with: Data(answer))) as? [String: Any]
                print("added NIC \(object?["index"] ?? "?") (\(object?["interface"] ?? "?")) to \(name)")
            } else {
                let added = try node.manager().addNIC(name, parsed)
                print("added NIC \(added.index) (\(added.interface)) to \(name)")
            }
        }
    }
}

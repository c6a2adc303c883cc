import ArgumentParser
import Foundation
import Node

/// `taphouse instance info NAME [--json]`.
struct InstanceInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "An instance's qemu, state, memory, vCPUs, NICs with their hooks, and disks.")

    @Argument(help: "The instance name.") var name: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let info =
                if let daemon = node.daemon() {
                    try await daemon.get(InstanceInfo.self, "/v1/instances/\(DaemonClient.segment(name))")
                } else {
                    try node.manager().info(name)
                }
            if json {
                print(try Self.encode(info))
                return
            }
            print("name\t\(info.name)")
            print("state\t\(info.state.rawValue)")
            if let reason = info.reason { print("reason\t\(reason)") }
            print("pid\t\(info.pid.map(String.init) ?? "-")")
            print("memory\t\(info.memoryMiB.map { "\($0) MiB" } ?? "-")")
            print("vcpus\t\(info.vcpus.map(String.init) ?? "-")")
            if let problem = info.problem { print("problem\t\(problem)") }
            for nic in info.nics {
                let hook = nic.hook.map { "\($0) (\(nic.hookVersion?.prefix(12) ?? ""))" } ?? "-"
                print(
                    "nic \(nic.index)\t\(nic.tap ?? "-")\t\(nic.mode ?? "-")\t\(nic.link ?? "-")\t\(nic.mac ?? "-")\t\(hook)"
                )
            }
            for disk in info.disks {
                print("disk \(disk.index)\t\(disk.device ?? "-")\t\(disk.uri ?? disk.path)\t\(disk.mode)")
            }
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

import ArgumentParser
import Foundation
import Node

/// `taphouse instance list [--json]`.
struct InstanceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The instances with state on this node, and whether qemu runs.")

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let instances =
                if let daemon = node.daemon() {
                    try await daemon.get([InstanceInfo].self, "/v1/instances")
                } else {
                    try node.manager().list()
                }
            if json {
                print(try InstanceInfoCommand.encode(instances))
            } else {
                for instance in instances {
                    // The problem, where there is one, last: the file and why it does not read.
                    let fields = [instance.name, instance.state.rawValue, instance.pid.map(String.init) ?? "-"]
                    // Why it stopped, where it ended by itself.
                    let why = instance.problem ?? instance.reason
                    print((fields + (why.map { [$0] } ?? [])).joined(separator: "\t"))
                }
            }
        }
    }
}

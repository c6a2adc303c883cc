import ArgumentParser
import Foundation

/// `taphouse instance list [--json]`.
struct InstanceListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "The instances with state on this node, and whether qemu runs.")

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let instances = try node.manager().list()
            if json {
                print(try InstanceInfoCommand.encode(instances))
            } else {
                for instance in instances {
                    print(
                        [instance.name, instance.state.rawValue, instance.pid.map(String.init) ?? "-"].joined(
                            separator: "\t"))
                }
            }
        }
    }
}

import ArgumentParser
import Node
import QEMU

/// `taphouse instance accept --migration-info FILE --listen ADDRESS:PORT [--postcopy]`.
struct InstanceAcceptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accept",
        abstract: "On a migration target: start qemu listening for the instance, its NICs up as their pre phase says.",
        discussion: """
            bridged and openvswitch NICs come up as at a start, ext NICs with MIGRATION_PHASE=pre (a \
            failure is logged), routed NICs not yet (finalize --success runs their post phase). Returns \
            once qemu listens; any failure undoes everything.
            """)

    @Option(help: "The source's `instance migration-info` output.") var migrationInfo: String
    @Option(help: "ADDRESS:PORT qemu listens on (an address of this node on the migration network).")
    var listen: String
    @Flag(help: "Allow postcopy (the source must migrate with --postcopy too).") var postcopy = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let text = try InputFile.read(migrationInfo, what: "migration info")
            let info: MigrationInfo
            switch Result(catching: { () throws(SpecError) in try MigrationInfo.parse(text, file: migrationInfo) }) {
            case .success(let value): info = value
            case .failure(let error): throw CommandFailure("\(error)")
            }
            let address = try MigrationAddress(listen, field: "--listen")
            if let daemon = node.daemon() {
                let body = JSONValue.object([
                    "migration_info": info.json(), "listen": .string(listen), "postcopy": .bool(postcopy),
                ])
                _ = try await daemon.send(
                    .POST, "/v1/instances/\(DaemonClient.segment(info.instance))/accept", body: Array(body.text().utf8))
            } else {
                try await node.manager().accept(info, listen: address, postcopy: postcopy)
            }
            print("accepting \(info.instance) on \(address)")
        }
    }
}

import ArgumentParser
import Node

/// What `nic-remove` and `disk-remove` take, and how they run: through the node's daemon when
/// one serves the state directory, else in this process.
struct HotRemoveOptions: ParsableArguments {
    @Argument(help: "The instance name.") var name: String
    @Option(help: "The device's index (0 is the first).") var index: Int
    @Option(help: "Seconds to wait for the guest to release the device.") var timeout = 60
    @OptionGroup var node: NodeOptions

    /// Removes device `index` of the collection `kind` (`nics`, `disks`), said as `what`.
    func run(_ kind: String, _ what: String, in process: (InstanceManager, Duration) throws -> Void) async throws {
        try await reporting {
            if let daemon = node.daemon() {
                _ = try await daemon.send(
                    .DELETE, "/v1/instances/\(DaemonClient.segment(name))/\(kind)/\(index)?timeout=\(max(0, timeout))")
            } else {
                try process(try node.manager(), .seconds(max(0, timeout)))
            }
            print("removed \(what) \(index) from \(name)")
        }
    }
}

import ArgumentParser
import QEMU

/// `taphouse instance start --spec FILE [--paused]`.
struct InstanceStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start an instance: taps, NIC up hooks, qemu, QMP.",
        discussion: "Any failure undoes what was done (qemu, hook journals, taps, files) and names the step.")

    @Option(help: "The instance spec (JSON).") var spec: String
    @Flag(help: "Leave the CPUs stopped.") var paused = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await reporting {
            let text = try InputFile.read(spec, what: "spec")
            let parsed: InstanceSpec
            switch Result(catching: { () throws(SpecError) in try InstanceSpec.parse(json: text) }) {
            case .success(let value): parsed = value
            case .failure(let error): throw CommandFailure("\(spec): \(error)")
            }
            if let daemon = node.daemon() {
                _ = try await daemon.send(.POST, "/v1/instances?paused=\(paused)", body: Array(text))
            } else {
                try await node.manager().start(parsed, specText: Array(text), paused: paused)
            }
            print("started \(parsed.name)")
        }
    }
}

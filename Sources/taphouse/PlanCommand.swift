import ArgumentParser
import Foundation
import Node
import QEMU

/// `taphouse plan`: the qemu command line an instance spec yields, without running anything
/// but (when no help text is given) the spec's qemu, to ask what it supports.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the qemu command line planned for an instance spec.",
        discussion: """
            Prints one argument per line, or with --json an object with argv, qemu_version, the NICs \
            and disks with their device ids and slots, and the runtime that a start would save. The \
            NICs' -netdev/-device arguments are added at start, with the tap fds.
            """
    )

    @Option(help: "The instance spec (JSON).")
    var spec: String

    @Option(
        name: .customLong("qemu-help"),
        help: "Text of `qemu --help` to plan for, instead of asking the spec's kvm_path.")
    var qemuHelp: String?

    @Option(name: .customLong("qemu-machine-help"), help: "Text of `qemu -machine help` (with --qemu-help).")
    var qemuMachineHelp: String?

    @Option(name: .customLong("qemu-device-help"), help: "Text of `qemu -device help` (with --qemu-help).")
    var qemuDeviceHelp: String?

    @OptionGroup var stateDirectory: StateDirectoryOption

    @Option(name: .customLong("qemu-binary"), help: "A qemu binary specs may name in kvm_path, besides the usual ones.")
    var qemuBinaries: [String] = []

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        do {
            try await plan()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func plan() async throws {
        let specText = try InputFile.read(spec, what: "spec")
        let specification: InstanceSpec
        switch Result(catching: { () throws(SpecError) in try InstanceSpec.parse(json: specText) }) {
        case .success(let parsed): specification = parsed
        case .failure(let error): throw CommandFailure("\(spec): \(error)")
        }
        let features: QemuFeatures
        if let qemuHelp {
            features = try QemuFeatures.parse(
                help: String(decoding: InputFile.read(qemuHelp, what: "qemu help text"), as: UTF8.self),
                machineHelp: try qemuMachineHelp.map {
                    String(decoding: try InputFile.read($0, what: "machine list"), as: UTF8.self)
                },
                deviceHelp: try qemuDeviceHelp.map {
                    String(decoding: try InputFile.read($0, what: "device list"), as: UTF8.self)
                })
        } else {
            // Run only a qemu the node knows: the spec picks among them, never names a program.
            let qemu = specification.hvparams.string("kvm_path")
            let known = InstanceManager.defaultQemuBinaries.union(qemuBinaries)
            guard known.contains(qemu) else {
                throw CommandFailure(
                    "\(spec): hvparams.kvm_path: \(qemu) is not one of this node's qemu binaries (\(known.sorted().joined(separator: ", "))); add it with --qemu-binary, or give --qemu-help"
                )
            }
            features = try await QemuProbe.features(of: qemu)
        }
        let paths = StateDirectory(stateDirectory.resolved)
        let planned = Result { () throws(SpecError) in
            try specification.hvparams.checkFeatures(features)
            return try QemuPlanner.plan(specification, features: features, paths: paths)
        }
        let result: QemuPlan
        switch planned {
        case .success(let plan): result = plan
        case .failure(let error): throw CommandFailure("\(spec): \(error)")
        }
        if json {
            print(result.description(features: features).text(pretty: true))
        } else {
            print(result.argv.joined(separator: "\n"))
        }
    }
}

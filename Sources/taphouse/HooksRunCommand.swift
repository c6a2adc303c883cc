import ArgumentParser
import Foundation
import Hooks
import HostNet
import Logging
import QEMU

/// `taphouse hooks run`: runs one NIC's hook for real against an existing tap, or with
/// `--dry-run` prints the host changes it would make and changes nothing. The lines are host
/// calls in the notation hook specs compare (`--calls` prints them as spec lines to paste).
struct HooksRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run one NIC's network hook (up or down) against an existing tap.")

    @Option(help: "The instance spec (JSON).")
    var spec: String

    @Option(help: "The NIC's index in the spec.")
    var nic: Int

    @Option(help: "The tap the NIC uses.")
    var interface: String

    @Option(help: "up or down.")
    var action: String

    @Option(help: "Migration phase: pre or post.")
    var phase: String?

    @Flag(name: .customLong("dry-run"), help: "Print the changes the hook would make; change nothing.")
    var dryRun = false

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print the calls as lines of a hook spec's calls list, to paste.")
    var calls = false

    @OptionGroup var hooks: HooksDirectoryOption
    @OptionGroup var stateDirectory: StateDirectoryOption

    func validate() throws {
        guard NetworkHookRunner.Action(rawValue: action) != nil else {
            throw ValidationError("--action must be up or down")
        }
        if let phase, NetworkHookRunner.Phase(rawValue: phase) == nil {
            throw ValidationError("--phase must be pre or post")
        }
        if json && calls { throw ValidationError("--json and --calls do not go together") }
    }

    func run() throws {
        do {
            let specText = try InputFile.read(spec, what: "spec")
            let instance: InstanceSpec
            switch Result(catching: { () throws(SpecError) in try InstanceSpec.parse(json: specText) }) {
            case .success(let parsed): instance = parsed
            case .failure(let error): throw CommandFailure("\(spec): \(error)")
            }
            guard instance.nics.indices.contains(nic) else {
                throw CommandFailure("--nic \(nic): the spec has \(instance.nics.count) NIC(s)")
            }
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            // In a hook worker, as a start runs it; the worker acts on this namespace.
            let hooks = WorkerHooks(
                pool: HookWorkerPool(.taphouse(size: 1)),
                setup: HookWorkerSetup(
                    directories: hooks.directories, stateDirectory: stateDirectory.resolved, limits: try hooks.limits())
            )
            let lines = try hooks.nic(
                NICHookCall(
                    action: NetworkHookRunner.Action(rawValue: action)!, instance: instance.name, tags: instance.tags,
                    nic: instance.nics[nic], index: nic, interface: interface,
                    phase: phase.flatMap(NetworkHookRunner.Phase.init(rawValue:)), dryRun: dryRun))
            if json {
                let object: [String: Any] = [
                    "action": action, "dry_run": dryRun,
                    "calls": lines.map { line -> [String: Any] in
                        var fields: [String: Any] = ["call": line.call, "kind": line.kind.rawValue]
                        if let reason = line.reason { fields["reason"] = reason }
                        return fields
                    },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for line in lines { print(calls ? line.specLine : line.description) }
            }
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

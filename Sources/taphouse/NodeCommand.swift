import ArgumentParser
import Foundation
import Hooks
import HostNet
import Logging
import Node
import QEMU

/// `taphouse node info|verify`.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "This node: its resources, and whether it can run instances.",
        subcommands: [NodeInfoCommand.self, NodeVerifyCommand.self])
}

/// The qemu a node command asks.
struct QemuOption: ParsableArguments {
    static let defaultPath = "/usr/bin/qemu-system-x86_64"
    @Option(name: .customLong("qemu"), help: "The qemu binary.") var path = QemuOption.defaultPath
}

/// `taphouse node info [--json]`: memory, CPUs, qemu version.
struct NodeInfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Memory, CPUs and qemu version.")

    @OptionGroup var qemu: QemuOption
    @Flag(help: "Print JSON.") var json = false

    struct Info: Codable {
        var memoryMiB: Int
        var cpus: Int
        var qemu: String
        var qemuVersion: String?
    }

    func run() async throws {
        try await reporting {
            let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
            let total =
                meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?
                .split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            let version = try? await QemuProbe.features(of: qemu.path).version.description
            let info = Info(
                memoryMiB: total / 1024, cpus: ProcessInfo.processInfo.activeProcessorCount, qemu: qemu.path,
                qemuVersion: version)
            if json {
                print(try InstanceInfoCommand.encode(info))
            } else {
                print("memory\t\(info.memoryMiB) MiB")
                print("cpus\t\(info.cpus)")
                print("qemu\t\(info.qemu) \(info.qemuVersion ?? "(not usable)")")
            }
        }
    }
}

/// `taphouse node verify`: qemu present and new enough, /dev/net/tun usable, hooks load.
struct NodeVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check that this node can run instances; non-zero when it cannot.")

    @OptionGroup var qemu: QemuOption
    @OptionGroup var hooks: HooksDirectoryOption
    @Flag(help: "Print the checks as JSON (as GET /v1/node/verify does); the exit status is the same.")
    var json = false

    func run() async throws {
        let directories = hooks.directories
        let workers = WorkerHooks(
            pool: HookWorkerPool(.taphouse(size: 1)),
            setup: HookWorkerSetup(directories: directories, stateDirectory: "/nonexistent"))
        let verification = await NodeVerification.run(
            qemu: qemu.path, builtin: directories.builtin, site: directories.site,
            checkHook: { workers.check($0, console: false) })
        if json {
            print(try InstanceInfoCommand.encode(verification))
            if !verification.ok { throw ExitCode.failure }
            return
        }
        for check in verification.checks {
            if check.ok {
                print("ok\t\(check.kind == "qemu" ? "\(check.detail) at \(check.subject)" : check.subject)")
            } else {
                // A hook's problem names its file:line already.
                let text = check.kind == "hook" ? check.detail : "\(check.subject): \(check.detail)"
                FileHandle.standardError.write(Data("\(text)\n".utf8))
            }
        }
        if !verification.ok { throw ExitCode.failure }
    }
}

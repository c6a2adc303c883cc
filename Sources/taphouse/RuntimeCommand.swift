import ArgumentParser
import Foundation
import QEMU

/// `taphouse runtime ...`: work with saved runtime files.
struct RuntimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Work with runtime files (taphouse's or Ganeti's).",
        subcommands: [RuntimeShowCommand.self]
    )
}

/// `taphouse runtime show FILE`: loads a runtime file, upgrading Ganeti's older forms, and prints
/// it normalised.
struct RuntimeShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a runtime file normalised.",
        discussion: """
            Reads taphouse's runtime files and Ganeti's (2012 three-element and 2026 four-element), \
            applying Ganeti's upgrades. With --json prints the runtime in taphouse's format; what loading \
            changed goes to standard error.
            """
    )

    @Argument(help: "The runtime file.")
    var file: String

    @Flag(help: "Print the normalised runtime as JSON.")
    var json = false

    func run() throws {
        do {
            let bytes = try InputFile.read(file, what: "runtime file")
            let loaded: LoadedRuntime
            switch Result(catching: { () throws(SpecError) in try QemuRuntime.load(bytes, name: file) }) {
            case .success(let value): loaded = value
            case .failure(let error): throw CommandFailure("\(error)")
            }
            for upgrade in loaded.upgrades { FileHandle.standardError.write(Data("upgraded: \(upgrade)\n".utf8)) }
            if !loaded.droppedParameters.isEmpty {
                FileHandle.standardError.write(
                    Data("dropped unknown hvparams: \(loaded.droppedParameters.joined(separator: ", "))\n".utf8))
            }
            if json {
                FileHandle.standardOutput.write(loaded.runtime.serialized())
                print()
            } else {
                print(Self.text(loaded.runtime))
            }
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func text(_ runtime: QemuRuntime) -> String {
        var lines = ["argv:"] + runtime.argv.map { "  \($0)" }
        lines.append("nics:")
        for (index, nic) in runtime.nics.enumerated() {
            var fields = [nic.mac, nic.mode]
            if let link = nic.link { fields.append("link=\(link)") }
            if let ip = nic.ip { fields.append("ip=\(ip)") }
            if let vlan = nic.vlan { fields.append("vlan=\(vlan)") }
            if let info = nic.hvinfo { fields += [info.id, info.driver] + info.placement }
            lines.append("  \(index): " + fields.joined(separator: " "))
        }
        lines.append("disks:")
        for (index, disk) in runtime.disks.enumerated() {
            var fields = [disk.path, disk.mode]
            if let uri = disk.uri { fields.append("uri=\(uri)") }
            if let info = disk.hvinfo { fields += [info.id, info.driver] + info.placement }
            lines.append("  \(index): " + fields.joined(separator: " "))
        }
        lines.append("hvparams:")
        lines += runtime.hvparams.values.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }
        return lines.joined(separator: "\n")
    }
}

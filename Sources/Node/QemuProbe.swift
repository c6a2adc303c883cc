import HostNet
import QEMU

/// Asks a qemu binary what it supports: runs `--help`, `-machine help` and `-device help` and
/// hands the texts to the pure parser.
public enum QemuProbe {
    /// The features of the qemu at `path`.
    public static func features(of path: String) async throws -> QemuFeatures {
        let help = try await CommandRunner.run(path, ["--help"])
        guard help.status == 0 else {
            throw NodeError(
                .command, "\(path) --help exited with status \(help.status): \(firstLine(help.standardError))")
        }
        let machine = try await CommandRunner.run(path, ["-machine", "help"])
        guard machine.status == 0 else {
            throw NodeError(
                .command,
                "\(path) -machine help exited with status \(machine.status): \(firstLine(machine.standardError))")
        }
        // Ganeti tolerates a failing device list; so does taphouse (no device check then).
        let device = try? await CommandRunner.run(path, ["-device", "help"])
        return try QemuFeatures.parse(
            help: help.standardOutput, machineHelp: machine.standardOutput,
            deviceHelp: device?.status == 0 ? (device!.standardOutput + device!.standardError) : nil)
    }

    static func firstLine(_ text: String) -> String { String(text.split(separator: "\n").first ?? "") }
}

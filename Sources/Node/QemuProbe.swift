import Foundation
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

    /// The features of the qemu at `path`, from `cache` when the same binary (path, device,
    /// inode, size and modification time) was probed before: a start then runs no qemu before
    /// qemu itself. A new or replaced binary is probed again.
    public static func features(of path: String, cache: String) async throws -> QemuFeatures {
        var info = stat()
        guard stat(path, &info) == 0 else { return try await features(of: path) }
        let key = "\(path)|\(info.st_dev)|\(info.st_ino)|\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
        // The file name only spreads binaries over files; the key inside is what must match.
        let digest = key.utf8.reduce(UInt64(5381)) { ($0 &* 33) &+ UInt64($1) }
        let file = "\(cache)/qemu-\(String(digest, radix: 16)).json"
        if let data = FileManager.default.contents(atPath: file),
            let saved = try? JSONDecoder().decode([String: QemuFeatures].self, from: data)[key]
        {
            return saved
        }
        let features = try await features(of: path)
        if let data = try? JSONEncoder().encode([key: features]) {
            try? FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            try? data.write(to: URL(fileURLWithPath: file), options: .atomic)
        }
        return features
    }

    static func firstLine(_ text: String) -> String { String(text.split(separator: "\n").first ?? "") }
}

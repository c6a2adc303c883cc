import Foundation
import HostNet
import QEMU
import TestSupport
import Testing

@testable import Node

#if canImport(Glibc)
import Glibc
#endif

/// A few QMP exchanges over a unix socket, enough for the test (the real client is QMP/).
final class TestQMPConnection {
    let fd: Int32
    var buffer = Data()

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw CommandFailureInTest("connect \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    /// The next message that is not an event.
    func readReply() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[..<newline]
                buffer.removeSubrange(...newline)
                let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] ?? [:]
                if object["event"] == nil { return object }
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { throw CommandFailureInTest("QMP connection closed or timed out") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    func execute(_ command: String) throws -> [String: Any] {
        let line = Array("{\"execute\": \"\(command)\"}\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return try readReply()
    }
}

struct CommandFailureInTest: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("A real qemu accepts the planned command line")
struct QemuAcceptsPlanTests {
    static let qemu = "/usr/bin/qemu-system-x86_64"

    // Needs the qemu that the test set-up installs; skipped, with this reason, where it is absent.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: qemu), "qemu-system-x86_64 is not installed"))
    func qemuStartsPausedFromThePlannedArgvAndAnswersQMP() async throws {
        let folder = TemporaryFolder()
        let state = folder.path + "/state"
        for sub in ["pid", "ctrl", "vnc"] {
            try FileManager.default.createDirectory(atPath: state + "/" + sub, withIntermediateDirectories: true)
        }
        let disk = folder.path + "/disk0.img"
        let iso = folder.path + "/cd.iso"
        _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 1 << 20))
        _ = FileManager.default.createFile(atPath: iso, contents: Data(count: 64 << 10))
        let specText = """
            {
              "name": "qtest1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
              "hvparams": {
                "kvm_path": "\(Self.qemu)", "kvm_flag": "disabled", "vnc_bind_address": "\(state)/vnc",
                "cdrom_image_path": "\(iso)", "cdrom_disk_type": "ide", "use_guest_agent": true,
                "cpu_cores": 2, "cpu_sockets": 1, "use_localtime": true, "reboot_behavior": "exit",
                "kvm_extra": "-global 'kvm-pit.lost_tick_policy=delay'"
              },
              "beparams": { "maxmem": 128, "vcpus": 2 },
              "disks": [ { "uuid": "9f5c5bd4-6f60-4f6a-9b1b-4e7d9e0c1a22", "path": "\(disk)", "dev_type": "file" } ],
              "network_port": 5999, "disk_template": "file"
            }
            """
        let spec = try InstanceSpec.parse(json: Array(specText.utf8))
        let features = try await QemuProbe.features(of: Self.qemu)
        try spec.hvparams.checkOnNode(LocalNodeFacts.make(features: features))
        let plan = try QemuPlanner.plan(spec, features: features, paths: StateDirectory(state))

        let launch = try await CommandRunner.run(
            plan.argv[0], Array(plan.argv.dropFirst()) + ["-S"], timeout: .seconds(30))
        let pidFile = state + "/pid/qtest1"
        let pid =
            Int32(
                (try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                    ?? "") ?? 0
        defer { if pid > 0 && kill(pid, 0) == 0 { kill(pid, SIGKILL) } }
        #expect(launch.status == 0, "qemu refused the planned argv: \(launch.standardError)")
        try #require(pid > 0, "no pid file: \(launch.standardError)")

        let qmp = try TestQMPConnection(path: state + "/ctrl/qtest1.qmp")
        let greeting = try qmp.readReply()
        #expect(greeting["QMP"] != nil)
        _ = try qmp.execute("qmp_capabilities")
        let status = try #require(try qmp.execute("query-status")["return"] as? [String: Any])
        #expect(status["status"] as? String == "prelaunch")
        #expect(status["running"] as? Bool == false)

        // The disk sits where planning put it: PCI slot 12 (0xc), with Ganeti's id.
        let buses = try #require(try qmp.execute("query-pci")["return"] as? [[String: Any]])
        let devices = buses.flatMap { $0["devices"] as? [[String: Any]] ?? [] }
        let disk0 = devices.first { $0["qdev_id"] as? String == "disk-9f5c5bd4-6f60-4f6a" }
        #expect(disk0?["slot"] as? Int == 12)

        _ = try qmp.execute("quit")
        var gone = false
        for _ in 0..<100 where !gone {
            gone = kill(pid, 0) != 0
            if !gone { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(gone, "qemu did not quit")
    }
}

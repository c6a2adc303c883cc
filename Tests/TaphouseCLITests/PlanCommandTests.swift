import Foundation
import TestSupport
import Testing

@Suite("taphouse plan")
struct PlanCommandTests {
    static let fixtures = ExampleTests.repository + "/Tests/QEMUTests/Fixtures"

    static let spec = """
        {
          "name": "web1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
          "hvparams": { "kvm_path": "/usr/bin/qemu-system-x86_64", "vnc_bind_address": "0.0.0.0" },
          "beparams": { "maxmem": 512, "vcpus": 2 },
          "nics": [ { "mac": "aa:00:00:12:34:56", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751396",
                      "nicparams": { "mode": "bridged", "link": "br0", "vlan": ".100" } } ],
          "disks": [ { "uuid": "9f5c5bd4-6f60-4f6a-9b1b-4e7d9e0c1a22", "path": "/dev/vg/web1" } ],
          "network_port": 11000
        }
        """

    @Test func printsOneArgumentPerLineForTheGivenQemu() throws {
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try TaphouseBinary.run(
            [
                "plan", "--spec", "web1.json", "--qemu-help", Self.fixtures + "/qemu-10.2-help.txt",
                "--qemu-machine-help",
                Self.fixtures + "/qemu-10.2-machine.txt", "--state-dir", "/srv/th",
            ], in: folder.path)
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(Array(lines.prefix(3)) == ["/usr/bin/qemu-system-x86_64", "-name", "web1,debug-threads=on"])
        #expect(lines.contains("/srv/th/pid/web1"))
        #expect(lines.contains("pc-i440fx-10.2"))
        #expect(lines.contains(":5100"))
    }

    @Test func jsonHasArgvVersionAndDevicePlacement() throws {
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try TaphouseBinary.run(
            ["plan", "--spec", "web1.json", "--qemu-help", Self.fixtures + "/qemu-7.2-help.txt", "--json"],
            in: folder.path)
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["qemu_version"] as? [Int] == [7, 2, 22])
        let argv = try #require(object["argv"] as? [String])
        #expect(argv.first == "/usr/bin/qemu-system-x86_64")
        #expect(argv.contains("unix:/var/run/taphouse/ctrl/web1.qmp,server=on,wait=off"))
        let nic = try #require((object["nics"] as? [[String: Any]])?.first)
        let device = try #require(nic["device"] as? [String: Any])
        #expect(device["id"] as? String == "nic-003fc157-66a8-4e6d")
        #expect(device["addr"] as? String == "0xd")
        #expect(nic["vlan"] as? String == ".100")
    }

    @Test func theStateDirectoryComesFromTheEnvironment() throws {
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try TaphouseBinary.run(
            ["plan", "--spec", "web1.json", "--qemu-help", Self.fixtures + "/qemu-7.2-help.txt"], in: folder.path,
            environment: ["TAPHOUSE_STATE_DIR": "/elsewhere"])
        #expect(result.output.contains("/elsewhere/pid/web1\n"))
    }

    @Test func aBadSpecFailsWithOneLineNamingFileAndField() throws {
        let folder = TemporaryFolder()
        folder.write("bad.json", Self.spec.replacingOccurrences(of: "\"vcpus\": 2", with: "\"vcpus\": 2, \"cpus\": 1"))
        let result = try TaphouseBinary.run(
            ["plan", "--spec", "bad.json", "--qemu-help", Self.fixtures + "/qemu-7.2-help.txt"], in: folder.path)
        #expect(result.status == 1)
        #expect(result.output == "")
        #expect(result.error == "bad.json: beparams.cpus: unknown field\n")
    }

    @Test func anOldQemuIsRefusedNamingBothVersions() throws {
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try TaphouseBinary.run(
            ["plan", "--spec", "web1.json", "--qemu-help", Self.fixtures + "/qemu-1.1.2-help.txt"], in: folder.path)
        #expect(result.status == 1)
        #expect(result.error == "qemu 1.1.2 is too old: taphouse needs qemu 5.0.0 or newer\n")
    }

    @Test func aMissingSpecFileIsNamed() throws {
        let result = try TaphouseBinary.run(["plan", "--spec", "/nonexistent/spec.json", "--qemu-help", "/dev/null"])
        #expect(result.status == 1)
        #expect(result.error == "/nonexistent/spec.json: cannot read the spec: No such file or directory\n")
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64"),
            "qemu-system-x86_64 is not installed"))
    func withoutHelpTextItAsksTheSpecsQemu() throws {
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try TaphouseBinary.run(["plan", "--spec", "web1.json", "--json"], in: folder.path)
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let version = try #require(object["qemu_version"] as? [Int])
        #expect(version.count == 3 && version[0] >= 5)
    }

    @Test func theDemoSpecPlans() throws {
        let result = try TaphouseBinary.run(
            [
                "plan", "--spec", "examples/demo/web1.json", "--qemu-help", Self.fixtures + "/qemu-7.2-help.txt",
                "--json",
            ],
            in: ExampleTests.repository)
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect((object["nics"] as? [Any])?.count == 2)
    }
}

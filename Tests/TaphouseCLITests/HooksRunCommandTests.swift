import Foundation
import TestSupport
import Testing

@Suite("taphouse hooks run", .enabled(if: NetworkNamespace.isAvailable, "\(NetworkNamespace.unavailableReason ?? "")"))
struct HooksRunCommandTests {
    static let spec = """
        {
          "name": "web1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
          "nics": [ { "mac": "aa:00:00:12:34:56", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751396",
                      "nicparams": { "mode": "bridged", "link": "br0" } } ]
        }
        """

    /// `taphouse ARGS` run inside the namespace (the command acts on the namespace it runs in).
    static func taphouse(
        _ ns: NetworkNamespace, _ arguments: [String], in folder: TemporaryFolder
    ) throws -> TaphouseBinary.Result {
        try TaphouseBinary.run(
            ["netns", "exec", ns.name, TaphouseBinary.path] + arguments, in: folder.path, executable: "/usr/sbin/ip")
    }

    @Test func dryRunPrintsTheChangesAndMakesNone() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.ip(["link", "set", "br0", "mtu", "1400"])
        try ns.ip(["tuntap", "add", "dev", "tap0", "mode", "tap"])
        // The kernel's random MAC starts with fe one time in 64, and then the hook sets none.
        try ns.ip(["link", "set", "tap0", "address", "02:00:00:00:00:01"])
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try Self.taphouse(
            ns,
            [
                "hooks", "run", "--spec", "web1.json", "--nic", "0", "--interface", "tap0", "--action", "up",
                "--dry-run",
                "--hooks-dir", folder.path + "/none", "--state-dir", folder.path + "/state",
            ], in: folder)
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0] == "set_mac tap0 fe:00:00:00:00:01")
        #expect(Array(lines[1...]) == ["set_mtu tap0 1400", "set_up tap0", "set_master tap0 br0"])
        let link = try ns.run { try LinuxHostProbe.link("tap0") }
        #expect(link?.master == nil && link?.up == false)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/0"))
    }

    @Test func upAndDownForRealThroughTheCommand() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.ip(["tuntap", "add", "dev", "tap0", "mode", "tap"])
        // The kernel's random MAC starts with fe one time in 64, and then the hook sets none.
        try ns.ip(["link", "set", "tap0", "address", "02:00:00:00:00:01"])
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let common = [
            "--spec", "web1.json", "--nic", "0", "--interface", "tap0", "--hooks-dir", folder.path + "/none",
            "--state-dir", folder.path + "/state",
        ]
        let up = try Self.taphouse(ns, ["hooks", "run", "--action", "up", "--calls"] + common, in: folder)
        #expect(up.status == 0, "\(up.error)")
        // Paste-ready lines of a spec's calls list.
        let upLines = up.output.split(separator: "\n").map(String.init)
        #expect(upLines.count == 4 && upLines[0].hasPrefix("\"set_mac tap0 fe:") && upLines[0].hasSuffix("\","))
        #expect(Array(upLines[1...]) == [#""set_mtu tap0 1500","#, #""set_up tap0","#, #""set_master tap0 br0","#])
        #expect(try ns.run { try LinuxHostProbe.link("tap0")?.master } == "br0")
        #expect(FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/0"))
        let down = try Self.taphouse(ns, ["hooks", "run", "--action", "down"] + common, in: folder)
        #expect(down.status == 0, "\(down.error)")
        // What the undo did, in the same notation, newest first.
        let downLines = down.output.split(separator: "\n").map(String.init)
        #expect(downLines.count == 4)
        #expect(
            Array(downLines.prefix(3)) == [
                "set_nomaster tap0  # undo", "set_down tap0  # undo", "set_mtu tap0 1500  # undo",
            ])
        #expect(downLines.last?.hasPrefix("set_mac tap0 ") == true && downLines.last?.hasSuffix("  # undo") == true)
        #expect(try ns.run { try LinuxHostProbe.link("tap0")?.master } == nil)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/0"))
    }

    @Test func aFailingHookExitsNonZeroWithInstanceNICAndLine() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["tuntap", "add", "dev", "tap0", "mode", "tap"])
        // The kernel's random MAC starts with fe one time in 64, and then the hook sets none.
        try ns.ip(["link", "set", "tap0", "address", "02:00:00:00:00:01"])
        let folder = TemporaryFolder()
        folder.write("web1.json", Self.spec)
        let result = try Self.taphouse(
            ns,
            [
                "hooks", "run", "--spec", "web1.json", "--nic", "0", "--interface", "tap0", "--action", "up",
                "--hooks-dir", folder.path + "/none", "--state-dir", folder.path + "/state",
            ], in: folder)
        #expect(result.status == 1)
        #expect(result.error.hasPrefix("instance web1, NIC 0: \(ExampleTests.repository)/hooks/network/bridged.lua:"))
        #expect(result.error.contains("bridge br0 does not exist"))
    }
}

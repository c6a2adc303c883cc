import Foundation
import TestSupport
import Testing

/// `taphouse node verify` as a health check: its exit status and its JSON.
@Suite("taphouse node verify")
struct NodeVerifyCommandTests {
    struct Verification: Decodable {
        struct Check: Decodable {
            var kind: String
            var subject: String
            var ok: Bool
            var detail: String
        }
        var ok: Bool
        var checks: [Check]
    }

    static var nodeCanRunInstances: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64")
            && FileManager.default.fileExists(atPath: "/dev/net/tun")
    }

    @Test func aBrokenSiteHookFailsTheCheckNamingItsLine() throws {
        let folder = TemporaryFolder()
        folder.write("network/bridged.lua", "local x = {\nreturn x\n")
        let result = try TaphouseBinary.run(["node", "verify", "--json", "--hooks-dir", folder.path])
        #expect(result.status == 1, "\(result.error)")
        let verification = try JSONDecoder().decode(Verification.self, from: Data(result.output.utf8))
        #expect(!verification.ok)
        let site = verification.checks.first { $0.subject == folder.path + "/network/bridged.lua" }
        #expect(site?.ok == false)
        #expect(
            site?.detail.contains("bridged.lua:2: unexpected symbol near 'return'") == true, "\(site?.detail ?? "")")
        // The built-in hooks are checked too, and load.
        let builtin = verification.checks.filter { $0.kind == "hook" && $0.subject.hasPrefix(ExampleTests.repository) }
        #expect(builtin.count >= 3 && builtin.allSatisfy(\.ok))
    }

    /// Run through PATH, argv[0] is only `taphouse`: the built-in hooks are found from the
    /// binary all the same, whatever the working folder.
    @Test func theBuiltInHooksAreFoundWhenRunThroughPATH() throws {
        let folder = TemporaryFolder()
        let bin = (TaphouseBinary.path as NSString).deletingLastPathComponent
        let result = try TaphouseBinary.run(
            ["PATH=\(bin):/usr/bin:/bin", "taphouse", "node", "verify", "--json", "--hooks-dir", folder.path],
            in: folder.path, executable: "/usr/bin/env")
        let verification = try JSONDecoder().decode(Verification.self, from: Data(result.output.utf8))
        let hooks = verification.checks.filter { $0.kind == "hook" }.map(\.subject)
        #expect(hooks.contains(ExampleTests.repository + "/hooks/network/bridged.lua"), "\(hooks)")
    }

    @Test func aMissingQemuFailsTheCheck() throws {
        let folder = TemporaryFolder()
        let result = try TaphouseBinary.run([
            "node", "verify", "--json", "--hooks-dir", folder.path, "--qemu", folder.path + "/qemu-system-x86_64",
        ])
        #expect(result.status == 1)
        let verification = try JSONDecoder().decode(Verification.self, from: Data(result.output.utf8))
        let qemu = verification.checks.first { $0.kind == "qemu" }
        #expect(qemu?.subject == folder.path + "/qemu-system-x86_64")
        #expect(qemu?.ok == false)
        #expect(!verification.ok)
    }

    @Test(.enabled(if: nodeCanRunInstances, "needs /usr/bin/qemu-system-x86_64 and /dev/net/tun"))
    func aHealthyNodePassesInTextAndJSON() throws {
        let folder = TemporaryFolder()
        let json = try TaphouseBinary.run(["node", "verify", "--json", "--hooks-dir", folder.path])
        #expect(json.status == 0, "\(json.output)\(json.error)")
        let verification = try JSONDecoder().decode(Verification.self, from: Data(json.output.utf8))
        #expect(verification.ok)
        #expect(Set(verification.checks.map(\.kind)) == ["qemu", "tun", "hook"])
        let text = try TaphouseBinary.run(["node", "verify", "--hooks-dir", folder.path])
        #expect(text.status == 0)
        #expect(text.output.hasPrefix("ok\tqemu "))
        #expect(text.output.contains(" at /usr/bin/qemu-system-x86_64\nok\t/dev/net/tun\n"))
    }
}

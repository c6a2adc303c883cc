import Foundation
import TestSupport
import Testing

/// `taphouse hooks test`: spec files run against a fake node, busted-style output, the exit
/// status, site overrides under the built-in specs, and the shipped examples.
@Suite("taphouse hooks test")
struct HooksTestCommandTests {
    static func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? ""
    }

    @Test func theBuiltInSpecsPass() throws {
        let folder = TemporaryFolder()
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", folder.path])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        let counts = Self.lastLine(result.output).split(separator: " ")
        #expect(counts.count == 4 && counts[1] == "passed," && counts[2] == "0" && counts[3] == "failed")
        #expect((Int(counts[0]) ?? 0) >= 30)
    }

    @Test func aFailingCaseIsReportedWithItsLineExpectedAndActualAndExitsNonZero() throws {
        let folder = TemporaryFolder()
        folder.write(
            "spec/mine_spec.lua",
            """
            local test = require "taphouse.test"
            test.case("passes", { nic = { LINK = "br0" }, host = { links = { br0 = { kind = "bridge" } } } })
            test.case("expects the wrong MTU", {
              nic = { LINK = "br0" },
              host = { links = { br0 = { kind = "bridge", mtu = 9000 } } },
              expect = { host = { links = { tap0 = { mtu = 1500 } } } },
            })
            test.case("later", { skip = "needs a newer kernel" })
            """)
        let result = try TaphouseBinary.run(["hooks", "test", folder.path + "/spec/mine_spec.lua"])
        #expect(result.status == 1)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "●◼○")
        #expect(lines.contains("Failure → \(folder.path)/spec/mine_spec.lua:3"))
        #expect(lines.contains("expects the wrong MTU"))
        #expect(lines.contains("  expect.host.links.tap0.mtu: expected 1500, got 9000"))
        #expect(lines.contains("Skipped → \(folder.path)/spec/mine_spec.lua:8"))
        #expect(Self.lastLine(result.output) == "1 passed, 1 failed, 1 skipped")
    }

    @Test func aMistypedSpecFailsNamingTheField() throws {
        let folder = TemporaryFolder()
        folder.write(
            "bad_spec.lua",
            """
            local test = require "taphouse.test"
            test.case("typo", { nic = { LINK = "br0" }, expect = { host = { links = { tap0 = { mut = 1 } } } } })
            """)
        let result = try TaphouseBinary.run(["hooks", "test", folder.path])
        #expect(result.status == 1)
        #expect(result.output.contains("expect.host.links.tap0.mut: unknown field"))
    }

    @Test func aSpecFileThatDoesNotLoadIsAFailureAtItsLine() throws {
        let folder = TemporaryFolder()
        folder.write("broken_spec.lua", "local test = require \"taphouse.test\"\ntest.case(\"x\", {\n")
        let result = try TaphouseBinary.run(["hooks", "test", folder.path + "/broken_spec.lua"])
        #expect(result.status == 1)
        #expect(result.output.contains("Failure → \(folder.path)/broken_spec.lua:3"))
        #expect(Self.lastLine(result.output) == "0 passed, 1 failed")
    }

    @Test func aSiteOverrideRunsUnderTheBuiltInSpecsAndShowsWhereItDeparts() throws {
        let folder = TemporaryFolder()
        // An override that forgets the bridge's MTU.
        folder.write(
            "network/bridged.lua",
            """
            local net = require "taphouse.net"
            local base = require "taphouse.builtin.network.bridged"
            return { up = function(nic)
              local tap = net.link(nic.INTERFACE)
              net.set_link(nic.INTERFACE, { mac = base.fixed_mac(tap.mac), up = true, master = nic.BRIDGE })
            end }
            """)
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", folder.path])
        #expect(result.status == 1)
        #expect(result.output.contains("Failure → \(ExampleTests.repository)/hooks/spec/bridged_spec.lua:"))
        #expect(result.output.contains("expect.host.links.tap0.mtu: expected 9000, got 1500"))
        #expect(!result.output.contains("routed_spec.lua"))
    }

    @Test func aWrapperThatOnlyAddsExecCallsKeepsTheContractAndSaysSoOnce() throws {
        let folder = TemporaryFolder()
        folder.write(
            "network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            local exec = require "taphouse.exec"
            return { up = function(nic)
              base.up(nic)
              exec.run({ "/usr/sbin/ebtables", "-A", "FORWARD", "-i", nic.INTERFACE, "-j", "ACCEPT" },
                       { undo = { "/usr/sbin/ebtables", "-D", "FORWARD", "-i", nic.INTERFACE, "-j", "ACCEPT" } })
            end }
            """)
        folder.write("network/ext.lua", "return { up = function(nic) end }\n")
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", folder.path])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.filter { $0.hasPrefix("Kept → ") } == ["Kept → \(folder.path)/network/bridged.lua"])
        #expect(lines.contains { $0.hasPrefix("contract kept, ") && $0.contains(" extra exec calls in ") })
        #expect(lines.contains("  exec /usr/sbin/ebtables -A FORWARD -i tap0 -j ACCEPT"))
        #expect(!result.output.contains("Failure →"))
        // The built-in ext case is about a node without an ext hook: this site has one.
        #expect(result.output.contains("the site has its own hook for mode ext (\(folder.path)/network/ext.lua)"))
    }

    @Test func aDeliberateReplacementSaysOnceWhichSpecsItDepartsFrom() throws {
        let folder = TemporaryFolder()
        let hook = """
            local net = require "taphouse.net"
            return {
              %@
              up = function(nic) net.set_link(nic.INTERFACE, { up = true, master = nic.BRIDGE or nic.LINK }) end,
            }
            """
        folder.write(
            "network/bridged.lua",
            hook.replacingOccurrences(of: "%@", with: "replaces = \"taps keep the MTU they were made with\","))
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", folder.path])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.filter { $0.hasPrefix("Departs → ") } == ["Departs → \(folder.path)/network/bridged.lua"])
        #expect(
            lines.contains {
                $0.hasPrefix("replaces the built-in hook on purpose (taps keep the MTU they were made with)")
            })
        #expect(lines.contains { $0.contains("bridged_spec.lua:39 up: the MTU is the bridge's") })
        #expect(!result.output.contains("Failure →"))
        #expect(Self.lastLine(result.output).hasSuffix(" departed"))
        // Without saying so, the same hook fails the built-in's specs.
        folder.write("network/bridged.lua", hook.replacingOccurrences(of: "%@", with: ""))
        let failing = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", folder.path])
        #expect(failing.status == 1)
        #expect(failing.output.contains("Failure → \(ExampleTests.repository)/hooks/spec/bridged_spec.lua:39"))
    }

    @Test func aPostThatFlapsWhatPreDidFailsThePhasesProperty() throws {
        let folder = TemporaryFolder()
        folder.write(
            "phases_spec.lua",
            #"""
            local test = require "taphouse.test"
            local hook = [[
            local net = require "taphouse.net"
            return { up = function(nic)
              if nic.MIGRATION_PHASE == "post" and nic.TAGS[1] == "restart" then net.set_down(nic.INTERFACE) end
              net.set_link(nic.INTERFACE, { mac = "fe:00:00:00:00:01", up = true })
            end }
            ]]
            test.case("post continues", { nic = { MODE = "ext" }, phase = "post", site = { ext = hook } })
            test.case("post restarts the tap", {
              nic = { MODE = "ext", TAGS = { "restart" } }, phase = "post", site = { ext = hook },
            })
            """#)
        let result = try TaphouseBinary.run(["hooks", "test", folder.path + "/phases_spec.lua"])
        #expect(result.status == 1)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "●◼")
        #expect(lines.contains("property: post after pre continues"))
        #expect(lines.contains("  post undid what pre did:"))
        #expect(lines.contains("    set_down tap0"))
        #expect(Self.lastLine(result.output) == "1 passed, 1 failed")
    }

    @Test(
        arguments: [
            "bridge-from-tag", "routed-mark", "gnt-networking", "okeanos-routed", "bgp-ext", "maintenance-lifecycle",
        ])
    func theExamplesPassTheirSpecs(_ example: String) throws {
        let directory = "\(ExampleTests.repository)/examples/hooks/\(example)"
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", directory, directory + "/spec"])
        #expect(result.status == 0, "\(result.output)\(result.error)")
        #expect(Self.lastLine(result.output).hasSuffix("passed, 0 failed"))
        let check = try TaphouseBinary.run(["hooks", "check", "--hooks-dir", directory])
        #expect(check.status == 0, "\(check.error)")
        // Under the built-in specs each keeps their contract, or says where it departs on purpose.
        let builtin = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", directory])
        #expect(builtin.status == 0, "\(builtin.output)")
        #expect(!builtin.output.contains("Failure →"))
        #expect(builtin.output.contains("Departs → ") == (example == "okeanos-routed"))
    }

    /// Lifecycle cases: the hook's error with its line, its host calls, and the property that a
    /// call's changes are undone at the instance's end (a site hook that changes a link passes;
    /// one whose exec has no undo leaves it, and fails); an event that is none is refused.
    @Test func lifecycleCasesCheckTheErrorTheCallsAndTheUndo() throws {
        let folder = TemporaryFolder()
        folder.write(
            "spec/life_spec.lua",
            """
            local test = require "taphouse.test"
            test.case("refused with its line", {
              site = { instance = 'return {\\n pre_start = function(i) error(i.name .. " may not start") end }' },
              lifecycle = { event = "pre_start", instance = { name = "web1" } },
              expect = { error = { message = "web1 may not start", line = 2 } },
            })
            test.case("a link change is undone at the end", {
              site = { instance = 'local net = require "taphouse.net"\\nreturn { post_start = function(i) net.set_link(i.nics[1].interface, { mtu = 9000 }) end }' },
              lifecycle = { event = "post_start", instance = { nics = { { interface = "tap0" } } } },
              expect = { calls = { "set_mtu tap0 9000" } },
            })
            test.case("the wrong calls", {
              site = { instance = 'return { post_stop = function(i) end }' },
              lifecycle = { event = "post_stop", reason = "crashed" },
              expect = { calls = { "exec /bin/true" } },
            })
            test.case("no such event", { lifecycle = { event = "post_reboot" } })
            """)
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", folder.path, folder.path + "/spec"])
        #expect(result.status == 1, "\(result.output)")
        #expect(Self.lastLine(result.output) == "2 passed, 2 failed", "\(result.output)")
        #expect(result.output.contains("the host calls differ"))
        #expect(result.output.contains("\"post_reboot\" is not one of pre_start"))
    }

    @Test func theBridgeFromTagExampleStillMeetsTheBuiltInSpecs() throws {
        let directory = "\(ExampleTests.repository)/examples/hooks/bridge-from-tag"
        let result = try TaphouseBinary.run(["hooks", "test", "--hooks-dir", directory])
        #expect(result.status == 0, "\(result.output)")
    }
}

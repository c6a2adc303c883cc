import Foundation
import HostNet
import TestSupport
import Testing

/// `instance.lua` on a real node: `pre_start` refuses an instance tagged `maintenance` with a
/// message the user sees and nothing changed; `post_start` keeps an nftables table for the
/// instance while it runs (journaled, undone after `post_stop`); `pre_stop` refuses to stop a
/// pinned one; `post_stop` is told why the instance stopped (a stop, a cleanup after a crash);
/// `nic_added` and `nic_removed` follow hot-plug; a failing `post_start` is reported and the start stands; `hooks check` refuses a
/// misspelt event.
@Suite(
    "Lifecycle hooks",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft"), "needs nft (nftables)"))
struct LifecycleHookTests {
    typealias Node = InstanceLifecycleTests.Node

    /// The site's lifecycle hook; `marks` is where it leaves a file for each event it saw.
    static func hook(marks: String) -> String {
        """
        local exec = require "taphouse.exec"
        local M = {}

        local function mark(instance, what)
          exec.run({ "/usr/bin/touch", "\(marks)/" .. instance.name .. "-" .. what })
        end

        function M.pre_start(instance)
          for _, tag in ipairs(instance.tags) do
            if tag == "maintenance" then error(instance.name .. " is in maintenance") end
          end
        end

        function M.post_start(instance)
          local table = "inet guests_" .. instance.name
          exec.run({ "/usr/sbin/nft", "-f", "-" }, {
            stdin = ("add table %s\\nadd set %s macs { type ether_addr; }\\nadd element %s macs { %s }\\n")
              :format(table, table, table, instance.nics[1].mac),
            undo = { "/usr/sbin/nft", "delete", "table", "inet", "guests_" .. instance.name },
          })
          mark(instance, "started-" .. #instance.nics .. "-nics-" .. (instance.nics[1].interface or "no-tap"))
          for _, tag in ipairs(instance.tags) do
            if tag == "flaky" then error("post_start of " .. instance.name .. " failed") end
          end
        end

        function M.pre_stop(instance)
          for _, tag in ipairs(instance.tags) do
            if tag == "pinned" then error(instance.name .. " is pinned: untag it to stop it") end
          end
        end

        function M.post_stop(instance)
          mark(instance, "stopped-" .. instance.reason)
        end

        function M.nic_added(instance)
          mark(instance, "nic-added-" .. instance.nic .. "-of-" .. #instance.nics)
        end

        function M.nic_removed(instance)
          mark(instance, "nic-removed-" .. instance.nic .. "-of-" .. #instance.nics)
        end

        return M
        """
    }

    /// A guest on br0; with `address`, one that answers ping there once it has booted.
    static func spec(_ node: Node, _ name: String, tags: [String], address: String? = nil) throws -> String {
        try node.spec(
            name: name, nics: [("bridged", "br0", nil)],
            extra: ["kernel_args": address.map { "guest.ip=\($0)/24" } ?? "guest.shell=1"], top: ["tags": tags],
            guestIP: "", gateway: "")
    }

    /// The nftables tables of the node's namespace.
    static func nftTables(_ node: Node) throws -> String {
        try node.ns.run {
            try BlockingCommand.run(["/usr/sbin/nft", "list", "tables"], timeout: .seconds(10)).standardOutput
        }.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func marks(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test func preStartRefusesPostStartKeepsATableUntilPostStop() throws {
        let node = try Node()
        let marks = node.folder.path + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        node.folder.write("site/instance.lua", Self.hook(marks: marks))
        let before = try node.snapshot()

        let refused = try node.taphouse([
            "instance", "start", "--spec", try Self.spec(node, "life0", tags: ["maintenance"]),
        ])
        #expect(refused.status == 1)
        #expect(refused.error.contains("start life0: instance.lua pre_start: "), "\(refused.error)")
        #expect(refused.error.contains("instance.lua:10: life0 is in maintenance"), "\(refused.error)")
        try node.expectUnchanged(since: before)
        #expect(Self.marks(marks).isEmpty)
        #expect(try Self.nftTables(node).isEmpty)

        let started = try node.taphouse([
            "instance", "start", "--spec", try Self.spec(node, "life1", tags: ["web"], address: "10.99.0.2"),
        ])
        #expect(started.status == 0, "\(started.error)")
        let table = try node.ns.run {
            try BlockingCommand.run(["/usr/sbin/nft", "list", "table", "inet", "guests_life1"], timeout: .seconds(10))
        }
        #expect(table.standardOutput.contains("52:54:00:12:34:50"), "\(table.standardOutput) \(table.standardError)")
        #expect(Self.marks(marks).contains { $0.hasPrefix("life1-started-1-nics-tap") }, "\(Self.marks(marks))")

        // Hot-plug is told to it, with the NIC's index and the NICs the instance has then (the
        // guest booted first: one still booting does not answer an unplug).
        #expect(try node.pings("10.99.0.2"))
        let nic = #"{"mac": "52:54:00:12:35:07", "nicparams": {"mode": "bridged", "link": "br0"}}"#
        #expect(try node.taphouse(["instance", "nic-add", "life1", "--nic", nic]).status == 0)
        #expect(Self.marks(marks).contains("life1-nic-added-1-of-2"), "\(Self.marks(marks))")
        let removed = try node.taphouse(["instance", "nic-remove", "life1", "--index", "1"])
        #expect(removed.status == 0, "\(removed.error)")
        #expect(Self.marks(marks).contains("life1-nic-removed-1-of-1"), "\(Self.marks(marks))")

        let stop = try node.taphouse(["instance", "stop", "life1", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        #expect(Self.marks(marks).contains("life1-stopped-stopped"), "\(Self.marks(marks))")
        #expect(try Self.nftTables(node).isEmpty)
        try node.expectUnchanged(since: before)
    }

    @Test func aCrashIsToldToPostStopAndAFailingPostStartLetsTheStartStand() throws {
        let node = try Node()
        let marks = node.folder.path + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        node.folder.write("site/instance.lua", Self.hook(marks: marks))
        let before = try node.snapshot()

        // post_start fails after its table was made: its own change is undone, the start stands.
        let started = try node.taphouse([
            "instance", "start", "--spec", try Self.spec(node, "life2", tags: ["flaky", "pinned"]),
        ])
        #expect(started.status == 0, "\(started.error)")
        #expect(started.error.contains("instance.lua post_start failed"), "\(started.error)")
        #expect(started.error.contains("post_start of life2 failed"), "\(started.error)")
        #expect(try node.taphouse(["instance", "list"]).output.hasPrefix("life2\trunning"))
        let table = try node.ns.run {
            try BlockingCommand.run(["/usr/sbin/nft", "list", "table", "inet", "guests_life2"], timeout: .seconds(10))
        }
        #expect(table.status != 0, "the failed post_start's table stayed: \(table.standardOutput)")

        // pre_stop refuses the stop: the instance runs on, untouched.
        let pinned = try node.taphouse(["instance", "stop", "life2", "--force"])
        #expect(pinned.status == 1)
        #expect(pinned.error.contains("stop life2: instance.lua pre_stop: "), "\(pinned.error)")
        #expect(pinned.error.contains("life2 is pinned: untag it to stop it"), "\(pinned.error)")
        #expect(try node.taphouse(["instance", "list"]).output.hasPrefix("life2\trunning"))

        try node.killQemu("life2")
        let cleanup = try node.taphouse(["instance", "cleanup", "life2"])
        #expect(cleanup.status == 0, "\(cleanup.error)")
        #expect(Self.marks(marks).contains("life2-stopped-cleaned-up"), "\(Self.marks(marks))")
        #expect(try Self.nftTables(node).isEmpty)
        try node.expectUnchanged(since: before)

        // A misspelt event would never be called: hooks check refuses it.
        node.folder.write("site/instance.lua", "return { pre_strat = function(instance) end }")
        let check = try TaphouseBinary.run(["hooks", "check", "--hooks-dir", node.site])
        #expect(check.status == 1)
        #expect(check.error.contains("pre_strat is not a lifecycle event"), "\(check.error)")
    }
}

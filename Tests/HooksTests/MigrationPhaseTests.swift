import Foundation
import HostNet
import Logging
import QEMU
import TestSupport
import Testing

@testable import Hooks

/// A migration target's ext NIC is brought up twice: `pre` before the guest arrives, `post`
/// after it landed. The second continues the first: nothing `pre` did is undone in between.
@Suite("Migration phases")
struct MigrationPhaseTests {
    let folder = TemporaryFolder()

    init() {
        folder.write(
            "site/network/ext.lua",
            """
            local net = require "taphouse.net"
            local exec = require "taphouse.exec"
            return { up = function(nic)
              net.set_link(nic.INTERFACE, { mac = "fe:00:00:00:00:01", up = true })
              if nic.MIGRATION_PHASE == "post" then
                net.route_replace { dst = "192.0.2.7/32", dev = nic.INTERFACE, table = 100 }
                if nic.TAGS[1] == "fail" then error("announce failed") end
              end
            end }
            """)
    }

    func runner() -> NetworkHookRunner {
        NetworkHookRunner(
            directories: HookDirectories(
                builtin: NetworkHookRunnerTests.repository + "/hooks", site: folder.path + "/site",
                library: NetworkHookRunnerTests.repository + "/lua"),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
    }

    func up(
        _ runner: NetworkHookRunner, _ host: FakeHost, _ phase: NetworkHookRunner.Phase?, tags: [String] = []
    ) throws(HookError) {
        try runner.up(
            instance: "web1", tags: tags, nic: NetworkHookRunnerTests.nic(mode: "ext", link: nil), index: 0,
            interface: "tap0", phase: phase, network: host, ovs: nil)
    }

    var journalPath: String { folder.path + "/state/journal/web1/0" }

    @Test func postContinuesPresJournalAndDownUndoesBoth() throws {
        let host = NetworkHookRunnerTests.node()
        let before = host.state
        let runner = runner()
        try up(runner, host, .pre)
        let afterPre = try #require(try Journal.load(path: journalPath)).entries
        let callsBefore = host.calls.count
        try up(runner, host, .post)
        // Between the phases the tap keeps UP and its MAC: no undo ran.
        #expect(
            Array(host.calls.dropFirst(callsBefore)) == [
                "set_mac tap0 fe:00:00:00:00:01", "set_up tap0",
                "route_replace 192.0.2.7/32 dev tap0 table 100 proto 4",
            ])
        let afterPost = try #require(try Journal.load(path: journalPath)).entries
        #expect(Array(afterPost.prefix(afterPre.count)) == afterPre)
        #expect(afterPost.count > afterPre.count)
        try runner.down(
            instance: "web1", tags: [], nic: NetworkHookRunnerTests.nic(mode: "ext", link: nil), index: 0,
            interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func aFailingPostUndoesOnlyItsOwnChanges() throws {
        let host = NetworkHookRunnerTests.node()
        let before = host.state
        let runner = runner()
        try up(runner, host, .pre)
        let afterPreState = host.state
        let afterPre = try #require(try Journal.load(path: journalPath)).entries
        #expect(throws: HookError.self) { try up(runner, host, .post, tags: ["fail"]) }
        #expect(host.state == afterPreState)
        #expect(try Journal.load(path: journalPath)?.entries == afterPre)
        try runner.down(
            instance: "web1", tags: [], nic: NetworkHookRunnerTests.nic(mode: "ext", link: nil), index: 0,
            interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func aPostWithoutAPreOrAfterAPlainUpStartsOver() throws {
        let host = NetworkHookRunnerTests.node()
        let runner = runner()
        // A plain up (a start) then a post: the post is an up of its own, up twice is up once.
        try up(runner, host, nil)
        let callsBefore = host.calls.count
        try up(runner, host, .post)
        let post = Array(host.calls.dropFirst(callsBefore))
        #expect(Array(post.prefix(2)) == ["set_down tap0", "set_mac tap0 aa:11:22:33:44:55"])
        guard case .begin(_, _, _, _, _, let phase)? = try Journal.load(path: journalPath)?.entries.first else {
            Issue.record("no begin entry")
            return
        }
        #expect(phase == "post")
    }
}

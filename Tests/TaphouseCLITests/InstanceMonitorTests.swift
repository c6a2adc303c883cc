import Foundation
import Hooks
import Logging
import Node
import QMP
import TestSupport
import Testing

/// The connection the node daemon holds on a running instance (`InstanceManager.monitor`), on
/// a real guest: it sees the CPUs resume, the guest power itself off, and qemu go.
@Suite(
    "An instance watched through its events socket",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
struct InstanceMonitorTests {
    /// The updates a session's handler got, for the test to wait on.
    final class Collector: @unchecked Sendable {
        private let condition = NSCondition()
        private var updates: [QMPSession.Update] = []

        func append(_ update: QMPSession.Update) {
            condition.withLock {
                updates.append(update)
                condition.broadcast()
            }
        }

        var events: [QMPEvent] {
            condition.withLock { updates.compactMap { if case .event(let event) = $0 { event } else { nil } } }
        }

        var ends: [QMPError] {
            condition.withLock { updates.compactMap { if case .ended(let error) = $0 { error } else { nil } } }
        }

        func wait(seconds: Double, until done: (Collector) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while !done(self) {
                guard condition.withLock({ condition.wait(until: deadline) }) || done(self) else { return false }
            }
            return true
        }
    }

    /// qemu runs with -no-shutdown: a guest that powers itself off leaves qemu waiting, so that
    /// with no daemon watching it is still told apart from a crash; the CLI lists it as stopped
    /// (guest-shutdown) and its cleanup ends qemu.
    @Test func theSessionSeesTheGuestResumeAndPowerOffAndCleanupEndsTheWaitingQemu() throws {
        let node = try InstanceLifecycleTests.Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "watched1", nics: [("bridged", "br0", nil)], extra: ["kernel_args": "guest.shell=1 guest.poweroff=1"],
            guestIP: "", gateway: "")
        let start = try node.taphouse(["instance", "start", "--spec", spec, "--paused"])
        #expect(start.status == 0, "\(start.error)")
        defer { _ = try? node.taphouse(["instance", "cleanup", "watched1"]) }

        let manager = InstanceManager(
            stateDirectory: node.state,
            hooks: HookDirectories(
                builtin: ExampleTests.repository + "/hooks", site: node.site, library: ExampleTests.repository + "/lua"),
            logger: Logger(label: "test"))
        let collector = Collector()
        let session = try manager.monitor("watched1") { collector.append($0) }
        defer { session.close() }
        // The short operations keep working beside the session: info uses the .qmp socket.
        #expect(try node.taphouse(["instance", "info", "watched1"]).output.contains("state\tpaused"))
        _ = try session.execute("cont")
        #expect(collector.wait(seconds: 10) { $0.events.contains { $0.name == "RESUME" } })
        // The guest powers itself off a second after it booted: qemu says why, and waits.
        #expect(
            collector.wait(seconds: 120) { $0.events.contains { $0.name == "SHUTDOWN" } },
            "\(collector.events.map(\.name))")
        let shutdown = collector.events.first { $0.name == "SHUTDOWN" }
        #expect(shutdown?.data["reason"] == "guest-shutdown", "\(collector.events)")
        let pid = try #require(
            pid_t(
                try String(contentsOfFile: node.state + "/pid/watched1", encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        #expect(DaemonTests.runs(pid), "qemu exited: -no-shutdown is missing")
        #expect(collector.ends.isEmpty)
        #expect(try node.taphouse(["instance", "list"]).output == "watched1\tstopped\t\(pid)\tguest-shutdown\n")
        // A cleanup ends the waiting qemu, then takes the NIC down and removes the files.
        let cleanup = try node.taphouse(["instance", "cleanup", "watched1"])
        #expect(cleanup.status == 0, "\(cleanup.error)")
        #expect(collector.wait(seconds: 10) { !$0.ends.isEmpty })
        #expect(collector.ends.map(\.code) == [.closed])
        #expect(!DaemonTests.runs(pid))
        try node.expectUnchanged(since: before)
    }
}

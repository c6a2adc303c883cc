import Foundation
import QEMU
import Testing

@testable import QMP

/// The daemon's long-lived connection, against a real qemu with two QMP sockets (`.events`
/// beside `.qmp`, as an instance has).
@Suite(
    "A QMP session held open",
    .enabled(if: TestQemu.isInstalled, "\(TestQemu.binary) is not installed (apt install qemu-system-x86)"))
struct QMPSessionTests {
    /// What a handler was told, for the test thread to wait on.
    final class Updates: @unchecked Sendable {
        private let condition = NSCondition()
        private var updates: [QMPSession.Update] = []

        func append(_ update: QMPSession.Update) {
            condition.withLock {
                updates.append(update)
                condition.broadcast()
            }
        }

        var events: [String] {
            condition.withLock {
                updates.compactMap { if case .event(let event) = $0 { event.name } else { nil } }
            }
        }

        var ends: [QMPError] {
            condition.withLock { updates.compactMap { if case .ended(let error) = $0 { error } else { nil } } }
        }

        var warnings: [String] {
            condition.withLock { updates.compactMap { if case .warning(let text) = $0 { text } else { nil } } }
        }

        /// Waits until `done` holds for what was told so far; false after `seconds`.
        func wait(seconds: Double = 10, until done: (Updates) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while !done(self) {
                guard condition.withLock({ condition.wait(until: deadline) }) || done(self) else { return false }
            }
            return true
        }
    }

    @Test func eventsCausedByAnotherClientReachTheHandlerAndCommandsShareTheConnection() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let updates = Updates()
        let session = try QMPSession.open(path: qemu.eventsPath, timeout: .seconds(5)) { updates.append($0) }
        defer { session.close() }
        let other = try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(5))
        defer { other.close() }

        _ = try other.execute("cont")
        #expect(updates.wait { $0.events == ["RESUME"] }, "\(updates.events)")
        _ = try other.execute("stop")
        #expect(updates.wait { $0.events == ["RESUME", "STOP"] }, "\(updates.events)")
        // Commands on the session itself, while its reader keeps looking for events.
        for _ in 0..<20 { #expect(try session.execute("query-status")["running"] == false) }
        _ = try session.execute("cont")
        #expect(updates.wait { $0.events == ["RESUME", "STOP", "RESUME"] }, "\(updates.events)")
        #expect(updates.ends.isEmpty)
    }

    @Test func qemuExitingEndsTheSessionOnceAsClosed() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let updates = Updates()
        let session = try QMPSession.open(path: qemu.eventsPath, timeout: .seconds(5)) { updates.append($0) }
        qemu.kill()
        #expect(updates.wait { !$0.ends.isEmpty })
        #expect(updates.ends.map(\.code) == [.closed])
        let error = try #require(catchQMPError { try session.execute("query-status") })
        #expect(error.code == .closed)
        session.close()
        session.close()
        #expect(updates.ends.count == 1)
    }

    @Test func closeStopsTheReaderAndLetsTheNextClientIn() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let updates = Updates()
        let session = try QMPSession.open(path: qemu.eventsPath, timeout: .seconds(5)) { updates.append($0) }
        session.close()
        // qemu greets one client per socket at a time: the next one is greeted only if the
        // session really let go.
        let next = try QMPConnection.connect(path: qemu.eventsPath, timeout: .seconds(5))
        next.close()
        #expect(updates.ends.isEmpty, "an end asked for is not reported")
    }
}

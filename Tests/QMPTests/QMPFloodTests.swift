import Foundation
import QEMU
import Testing

@testable import QMP

/// A qemu that sends events without end: the deadline holds, memory stays bounded, and what is
/// past the rate is counted and dropped with one warning.
@Suite("QMP under a flood of events")
struct QMPFloodTests {
    let folder = ShortTemporaryFolder()
    var socketPath: String { folder.path + "/f.qmp" }

    static func event(_ name: String, _ n: Int) -> String {
        #"{"timestamp": {"seconds": 1700000000, "microseconds": \#(n % 1_000_000)}, "event": "\#(name)", "data": {"offset": \#(n)}}"#
    }

    /// RTC_CHANGE events as fast as the socket takes them, for `duration`.
    static func flood(_ peer: FakeQMPServer.Peer, for duration: Duration) {
        let end = ContinuousClock.now + duration
        var n = 0
        while ContinuousClock.now < end {
            peer.send(event("RTC_CHANGE", n))
            n += 1
        }
    }

    @Test func aCommandTimesOutAtItsDeadlineWhileEventsKeepComingAndASHUTDOWNAfterStillArrives() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            _ = try peer.expect("query-status")
            // Events as fast as the socket takes them, for a while; never the answer.
            Self.flood(peer, for: .seconds(2))
            peer.send(#"{"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}"#)
        }
        let connection = try QMPConnection.connect(path: socketPath, timeout: .seconds(5))
        var warnings: [String] = []
        connection.onWarning = { warnings.append($0) }
        var delivered = 0
        connection.onEvent = { _ in delivered += 1 }
        let clock = ContinuousClock()
        let start = clock.now
        let error = catchQMPError { try connection.execute("query-status", timeout: .milliseconds(300)) }
        let took = clock.now - start
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("events dropped meanwhile") == true, "\(String(describing: error))")
        // What got through is the burst and the rate over the time taken, no more.
        let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18
        #expect(delivered <= Int(EventRateLimit.burst + EventRateLimit.perSecond * seconds) + 1)
        #expect(connection.droppedEvents > delivered)
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("RTC_CHANGE events faster than 32 a second") == true)

        // Each event name has its own allowance: the flood does not take the SHUTDOWN after it.
        let shutdown = try connection.waitForEvent("SHUTDOWN", timeout: .seconds(20))
        #expect(shutdown.data["reason"] == "guest-shutdown")
        #expect(warnings.count == 1)
        connection.close()
        #expect(server.finish() == nil)
    }

    @Test func eachNameHasItsBurstAndRateAndMadeUpNamesShareOne() {
        var limit = EventRateLimit()
        let start = ContinuousClock.now
        let burst = Int(EventRateLimit.burst)
        var admitted = 0
        for _ in 0..<burst where limit.admit("RTC_CHANGE", now: start) { admitted += 1 }
        #expect(admitted == burst)
        let pastTheBurst = limit.admit("RTC_CHANGE", now: start)
        #expect(!pastTheBurst)
        let another = limit.admit("SHUTDOWN", now: start)
        #expect(another)
        // A second later the rate's worth more is taken, and no more.
        let later = start + .seconds(1)
        let taken = (0..<100).filter { _ in limit.admit("RTC_CHANGE", now: later) }.count
        #expect(taken == Int(EventRateLimit.perSecond))
        #expect(limit.dropped == 1 + 100 - taken)
        // Names past the table's size share one bucket: made-up names cannot grow it.
        // Two names are in already: these fill the table.
        for n in 0..<(EventRateLimit.maximumNames - 2) { _ = limit.admit("NAME_\(n)", now: start) }
        let shared = (0..<(burst + 10)).filter { limit.admit("MADE_UP_\($0)", now: start) }.count
        #expect(shared == burst)
    }

    @Test func aSessionUnderAFloodWarnsOnceAndStillSeesTheSHUTDOWN() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            Self.flood(peer, for: .seconds(1))
            peer.send(#"{"event": "SHUTDOWN", "data": {"guest": true, "reason": "guest-shutdown"}}"#)
            try peer.waitForClose()
        }
        let updates = QMPSessionTests.Updates()
        let session = try QMPSession.open(path: socketPath, timeout: .seconds(5)) { updates.append($0) }
        #expect(updates.wait(seconds: 20) { $0.events.last == "SHUTDOWN" })
        #expect(updates.warnings.count == 1, "\(updates.warnings)")
        #expect(session.droppedEvents > updates.events.count)
        session.close()
        #expect(server.finish() == nil)
    }
}

import Foundation
import QEMU
import Testing

@testable import QMP

#if canImport(Glibc)
import Glibc
#endif

/// The client against ``FakeQMPServer``: what qemu rarely does on cue (late answers, events
/// between answers, hanging up mid-message) is scripted here.
@Suite("QMP connection against a fake server")
struct QMPConnectionTests {
    let folder = ShortTemporaryFolder()
    var socketPath: String { folder.path + "/t.qmp" }

    @Test func lateAnswerIsDroppedByIdAndEventsBetweenAnswersAreQueued() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            let slow = try peer.expect("query-slow")
            let fast = try peer.expect("query-fast")
            // The answer to the request that timed out, then an event, then the one awaited.
            peer.send(#"{"return": {"late": true}, "id": "\#(slow)"}"#)
            peer.send(#"{"timestamp": {"seconds": 1700000000, "microseconds": 250000}, "event": "STOP"}"#)
            peer.send(#"{"return": {"fast": 1}, "id": "\#(fast)"}"#)
            peer.send(#"{"event": "RESUME", "data": {}, "timestamp": {"seconds": 1700000001, "microseconds": 0}}"#)
            peer.send(#"{"event": "SHUTDOWN", "data": {"guest": false, "reason": "host-qmp-quit"}}"#)
        }
        let connection = try QMPConnection.connect(path: socketPath, timeout: .seconds(5))
        #expect(connection.qemuVersion == "7.2.0")
        var seen: [String] = []
        connection.onEvent = { seen.append($0.name) }

        let timedOut = catchQMPError { try connection.execute("query-slow", timeout: .milliseconds(200)) }
        #expect(timedOut?.code == .timeout)
        #expect(timedOut?.command == "query-slow")

        #expect(try connection.execute("query-fast") == ["fast": 1])
        #expect(seen == ["STOP"])
        let stop = try connection.waitForEvent("STOP", timeout: .zero)
        #expect(stop.timestamp == 1_700_000_000.25)
        #expect(stop.data == .object([:]))

        // RESUME arrives first and is kept while SHUTDOWN is waited for.
        let shutdown = try connection.waitForEvent("SHUTDOWN", timeout: .seconds(5))
        #expect(shutdown.data["reason"] == "host-qmp-quit")
        #expect(shutdown.timestamp == nil)
        #expect(seen == ["STOP", "RESUME", "SHUTDOWN"])
        #expect(try connection.nextEvent(timeout: .zero).name == "RESUME")

        let closed = catchQMPError { try connection.waitForEvent("SHUTDOWN", timeout: .seconds(5)) }
        #expect(closed?.code == .closed)
        #expect(server.finish() == nil)
    }

    @Test func requestsCarryStringIdsAndArgumentsOnlyWhenGiven() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            guard let plain = try peer.receive(), let withArguments = try peer.receive() else {
                throw FakeQMPServer.Failure("EOF")
            }
            guard plain["id"] == "taphouse-2", plain["arguments"] == nil else {
                throw FakeQMPServer.Failure("bad request \(plain)")
            }
            guard withArguments["id"] == "taphouse-3", withArguments["arguments"] == ["device": "ide0-hd0"] else {
                throw FakeQMPServer.Failure("bad request \(withArguments)")
            }
            peer.send(#"{"return": {}, "id": "taphouse-2"}"#)
            peer.send(#"{"return": [], "id": "taphouse-3"}"#)
        }
        let connection = try QMPConnection.connect(path: socketPath, timeout: .seconds(5))
        // Nothing is answered until both requests are in, so the first one times out; its answer
        // then arrives while the second is awaited.
        #expect(catchQMPError { try connection.execute("stop", timeout: .milliseconds(100)) }?.code == .timeout)
        #expect(try connection.execute("eject", arguments: ["device": "ide0-hd0"]) == [])
        #expect(server.finish() == nil)
    }

    @Test func refusalKeepsQemuClassAndDescription() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            let id = try peer.expect("set_password")
            peer.send(#"{"id": "\#(id)", "error": {"class": "GenericError", "desc": "Could not set password"}}"#)
            try peer.waitForClose()
        }
        let connection = try QMPConnection.connect(path: socketPath, timeout: .seconds(5))
        let error = try #require(
            catchQMPError { try connection.execute("set_password", arguments: ["password": "x"]) })
        #expect(error.code == .command)
        #expect(error.errorClass == "GenericError")
        #expect(error.description == "set_password: GenericError: Could not set password")
        connection.close()
        #expect(server.finish() == nil)
    }

    @Test func garbageAndUnknownIdsAreProtocolErrors() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            _ = try peer.expect("query-status")
            peer.send("this is not json")
            _ = try peer.expect("query-status")
            peer.send(#"{"return": {}, "id": "someone-else"}"#)
            let id = try peer.expect("query-status")
            peer.send(#"{"return": {"status": "running"}, "id": "\#(id)"}"#)
            try peer.waitForClose()
        }
        let connection = try QMPConnection.connect(path: socketPath, timeout: .seconds(5))
        let garbage = catchQMPError { try connection.execute("query-status") }
        #expect(garbage?.code == .protocol)
        #expect(garbage?.message.contains("this is not json") == true)
        let unknown = catchQMPError { try connection.execute("query-status") }
        #expect(unknown?.code == .protocol)
        #expect(unknown?.message.contains("someone-else") == true)
        // Each bad line was consumed whole, so the stream is still in step.
        #expect(try connection.execute("query-status")["status"] == "running")
        connection.close()
        #expect(server.finish() == nil)
    }

    @Test func hangupMidMessageIsClosedForThisAndLaterCalls() throws {
        let server = FakeQMPServer(path: socketPath) { peer in
            try peer.negotiate()
            _ = try peer.expect("query-status")
            peer.send(#"{"event": "STOP"}"#)
            peer.sendPartial(#"{"return": {"sta"#)
        }
        let connection = try QMPConnection.connect(path: socketPath, timeout: .seconds(5))
        let first = catchQMPError { try connection.execute("query-status") }
        #expect(first?.code == .closed)
        #expect(first?.command == "query-status")
        let second = catchQMPError { try connection.execute("cont") }
        #expect(second?.code == .closed)
        #expect(second?.command == "cont")
        // What was read before the hang-up is still handed out.
        #expect(try connection.waitForEvent("STOP", timeout: .zero).name == "STOP")
        #expect(server.finish() == nil)
    }

    @Test func missingGreetingTimesOutAskingAboutAnotherClient() throws {
        let server = FakeQMPServer(path: socketPath, greet: false) { peer in try peer.waitForClose() }
        let started = ContinuousClock.now
        let error = try #require(
            catchQMPError { try QMPConnection.connect(path: socketPath, timeout: .milliseconds(300)) })
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(error.code == .timeout)
        #expect(error.message == "no QMP greeting within 300ms on \(socketPath), is another client connected?")
        #expect(server.finish() == nil)
    }

    @Test func missingSocketIsConnectErrorNamingPathAndErrno() {
        let error = catchQMPError { try QMPConnection.connect(path: socketPath, timeout: .seconds(1)) }
        #expect(error?.code == .connect)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.message.contains(socketPath) == true)
        #expect(error?.message.contains("errno \(ENOENT)") == true)
    }

    @Test func staleSocketFileIsConnectErrorNamingPathAndErrno() throws {
        // Bound but never listening: what a qemu killed with SIGKILL leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0)
        let error = catchQMPError { try QMPConnection.connect(path: socketPath, timeout: .seconds(1)) }
        #expect(error?.code == .connect)
        #expect(error?.errno == .connectionRefused)
        #expect(error?.message.contains(socketPath) == true)
    }

    @Test func pathLongerThanSunPathIsConnectErrorNamingIt() {
        let path = "/tmp/" + String(repeating: "d", count: 120) + "/t.qmp"
        let error = catchQMPError { try QMPConnection.connect(path: path, timeout: .seconds(1)) }
        #expect(error?.code == .connect)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("at most 107") == true)
    }
}

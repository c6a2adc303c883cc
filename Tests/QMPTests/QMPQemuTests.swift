import Foundation
import QEMU
import Testing

@testable import QMP

/// The client against a real qemu (7.2 here), the part it exists for.
@Suite(
    "QMP against a real qemu",
    .enabled(if: TestQemu.isInstalled, "\(TestQemu.binary) is not installed (apt install qemu-system-x86)"))
struct QMPQemuTests {
    @Test func pausedQemuReportsStatusAndVersion() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let connection = try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(5))
        defer { connection.close() }
        #expect(!connection.qemuVersion.isEmpty)

        let status = try connection.execute("query-status")
        #expect(status["status"] == "prelaunch" || status["status"] == "paused")
        #expect(status["running"] == false)

        let version = try connection.execute("query-version")
        let qemuPart = try #require(version["qemu"])
        let text = [qemuPart["major"], qemuPart["minor"], qemuPart["micro"]].map {
            $0?.intValue.map(String.init) ?? "?"
        }
        #expect(text.joined(separator: ".") == connection.qemuVersion)
    }

    @Test func unknownCommandKeepsCommandNotFoundAndConnectionGoesOn() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let connection = try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(5))
        defer { connection.close() }
        let error = try #require(catchQMPError { try connection.execute("no-such-command") })
        #expect(error.code == .command)
        #expect(error.command == "no-such-command")
        #expect(error.errorClass == "CommandNotFound")
        #expect(error.message.contains("no-such-command"))

        let badArgument = try #require(
            catchQMPError { try connection.execute("query-status", arguments: ["bogus": 1]) })
        #expect(badArgument.code == .command)
        #expect(badArgument.errorClass == "GenericError")
        #expect(try connection.execute("query-status")["running"] == false)
    }

    @Test func quitEndsWithShutdownEventThenClosed() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let connection = try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(5))
        var seen: [String] = []
        connection.onEvent = { seen.append($0.name) }
        do {
            let answer = try connection.execute("quit")
            #expect(answer == [:])
        } catch {
            // qemu may exit before its answer is out; the connection then reports EOF.
            #expect(error.code == .closed)
        }
        do {
            let event = try connection.waitForEvent("SHUTDOWN", timeout: .seconds(5))
            #expect(event.data["reason"] == "host-qmp-quit")
            #expect(event.timestamp != nil)
            #expect(seen == ["SHUTDOWN"])
        } catch {
            #expect(error.code == .closed)
        }
        let after = catchQMPError { try connection.waitForEvent("SHUTDOWN", timeout: .seconds(5)) }
        #expect(after?.code == .closed)
        #expect(catchQMPError { try connection.execute("query-status") }?.code == .closed)
        #expect(qemu.waitForExit(timeout: .seconds(5)))
    }

    @Test func secondClientGetsNoGreetingUntilFirstCloses() throws {
        let qemu = try TestQemu()
        defer { qemu.kill() }
        let first = try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(5))

        let error = try #require(
            catchQMPError { try QMPConnection.connect(path: qemu.socketPath, timeout: .milliseconds(500)) })
        #expect(error.code == .timeout)
        #expect(
            error.message == "no QMP greeting within 500ms on \(qemu.socketPath), is another client connected?")

        // The first client is not disturbed, and once it closes the next one is greeted.
        #expect(try first.execute("query-status")["running"] == false)
        first.close()
        let next = try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(5))
        defer { next.close() }
        #expect(try next.execute("query-status")["running"] == false)
    }

    @Test func socketOfKilledQemuIsConnectErrorConnectionRefused() throws {
        let qemu = try TestQemu()
        qemu.kill()
        #expect(qemu.waitForExit(timeout: .seconds(5)))
        // SIGKILL gives qemu no chance to unlink its socket: the file stays, nobody listens.
        #expect(FileManager.default.fileExists(atPath: qemu.socketPath))
        let error = catchQMPError { try QMPConnection.connect(path: qemu.socketPath, timeout: .seconds(2)) }
        #expect(error?.code == .connect)
        #expect(error?.errno == .connectionRefused)
        #expect(error?.message.contains(qemu.socketPath) == true)
    }

    @Test func missingSocketIsConnectError() throws {
        let folder = ShortTemporaryFolder()
        let path = folder.path + "/none.qmp"
        let error = catchQMPError { try QMPConnection.connect(path: path, timeout: .seconds(2)) }
        #expect(error?.code == .connect)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.message.contains(path) == true)
    }
}

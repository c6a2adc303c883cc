import Testing

@testable import HostNet

@Suite("Running commands")
struct CommandRunnerTests {
    @Test func outputAndStatusAreCollected() async throws {
        let output = try await CommandRunner.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(output.status == 3)
        #expect(output.standardOutput == "out\n")
        #expect(output.standardError == "err\n")
    }

    @Test func argumentsAreNotInterpretedByAShell() async throws {
        let output = try await CommandRunner.run("/bin/echo", ["$(id)", "a;b", "*"])
        #expect(output.standardOutput == "$(id) a;b *\n")
    }

    @Test func aCommandPastItsDeadlineIsKilledAndReported() async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: HostNetError.self) {
            try await CommandRunner.run("/bin/sleep", ["30"], timeout: .milliseconds(200))
        }
        #expect(error?.description == "/bin/sleep 30: no answer within 0.2 seconds")
        // Well under the 30 s the command asked for: it was killed, not waited for.
        #expect(clock.now - start < .seconds(20))
    }

    @Test func aMissingExecutableIsACommandError() async throws {
        let error = await #expect(throws: HostNetError.self) {
            try await CommandRunner.run("/nonexistent/qemu", ["--help"])
        }
        #expect(error?.code == .command)
        #expect(error?.description.hasPrefix("/nonexistent/qemu --help: ") == true)
    }
}

import Foundation
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
        let error = await #expect(throws: HostNetError.self) {
            try await CommandRunner.run("/bin/sleep", ["31"], timeout: .milliseconds(200))
        }
        #expect(error?.description == "/bin/sleep 31: no answer within 0.2 seconds; killed with its process group")
        // Killed, not left running: no `sleep 31` of this process remains. (Not a timed check:
        // with other suites busy, even a prompt kill can take seconds of wall time here.)
        let ours = String(getpid())
        let sleeping = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let command = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8)
            else { return false }
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            return fields.count > 2 && fields[1] == ours && command == "/bin/sleep\u{0}31\u{0}"
        }
        #expect(sleeping.isEmpty)
    }

    @Test func aMissingExecutableIsACommandError() async throws {
        let error = await #expect(throws: HostNetError.self) {
            try await CommandRunner.run("/nonexistent/qemu", ["--help"])
        }
        #expect(error?.code == .command)
        #expect(error?.description.hasPrefix("/nonexistent/qemu --help: ") == true)
    }
}

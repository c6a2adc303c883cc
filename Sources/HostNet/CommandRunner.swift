import Subprocess
import SystemPackage

/// Runs a command given as an argv (never through a shell) with a deadline, and collects its
/// output.
public enum CommandRunner {
    /// What a finished command left.
    public struct Output: Sendable, Codable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
        /// What the command left running in its process group when it exited (`pid N (comm)`).
        public var leftRunning: [String]
        /// Whether those were killed (they are, unless the command was started to detach).
        public var leftRunningKilled: Bool

        public init(
            status: Int32, standardOutput: String, standardError: String, leftRunning: [String] = [],
            leftRunningKilled: Bool = true
        ) {
            self.status = status
            self.standardOutput = standardOutput
            self.standardError = standardError
            self.leftRunning = leftRunning
            self.leftRunningKilled = leftRunningKilled
        }
    }

    /// Runs `executable` with `arguments`; a command still running at the deadline is killed.
    /// - Throws: ``HostNetError`` with code `.command` when it cannot start or times out. A non-zero
    ///   exit is not an error here; the caller decides.
    public static func run(
        _ executable: String, _ arguments: [String], timeout: Duration = .seconds(10), outputLimit: Int = 4 << 20
    ) async throws(HostNetError) -> Output {
        let command = ([executable] + arguments).joined(separator: " ")
        do {
            return try await withThrowingTaskGroup(of: Output?.self) { group in
                group.addTask {
                    let result = try await Subprocess.run(
                        .path(FilePath(executable)), arguments: Arguments(arguments),
                        output: .string(limit: outputLimit), error: .string(limit: outputLimit))
                    let status: Int32 =
                        switch result.terminationStatus {
                        case .exited(let code): code
                        case .signaled(let signal): 128 + signal
                        }
                    return Output(
                        status: status, standardOutput: result.standardOutput, standardError: result.standardError)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()  // cancelling the run tears the process down
                guard let output = first else {
                    throw HostNetError(.command, command, detail: "no answer within \(timeout)")
                }
                return output
            }
        } catch let error as HostNetError {
            throw error
        } catch {
            throw HostNetError(.command, command, detail: "\(error)")
        }
    }
}

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
    ///
    /// The same runner as every other command (``BlockingCommand``: posix_spawn, a pidfd for the
    /// exit): swift-subprocess, used here before, now and then missed the exit of a command run
    /// while many others were (`/bin/echo` not answering within 10 s on a busy test run).
    public static func run(
        _ executable: String, _ arguments: [String], timeout: Duration = .seconds(10), outputLimit: Int = 4 << 20
    ) async throws(HostNetError) -> Output {
        try BlockingCommand.run([executable] + arguments, timeout: timeout, outputLimit: outputLimit)
    }
}

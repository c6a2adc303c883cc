import HostNet

/// A command a hook runs (`taphouse.exec.run`, a Ganeti script), or the undo of one: an argv,
/// never a shell string; its time limit; what it reads on its standard input.
public struct ExecRequest: Sendable, Hashable {
    public var argv: [String]
    public var timeout: Duration
    /// Its environment (nil: a fixed PATH).
    public var environment: [String]?
    /// What it reads on standard input (nil: /dev/null).
    public var input: String?
    /// Whether what it leaves running in its process group may go on (a Ganeti script that
    /// starts a helper on purpose); it is killed otherwise. Reported either way.
    public var detach: Bool

    public init(
        argv: [String], timeout: Duration, environment: [String]? = nil, input: String? = nil, detach: Bool = false
    ) {
        self.argv = argv
        self.timeout = timeout
        self.environment = environment
        self.input = input
        self.detach = detach
    }

    /// Runs it as a child process: its own process group, waited for until it exits.
    public static func spawn(_ request: ExecRequest) throws -> CommandRunner.Output {
        try BlockingCommand.run(
            request.argv, timeout: request.timeout, environment: request.environment,
            standardInput: request.input.map { Array($0.utf8) }, detach: request.detach)
    }
}

import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// posix_spawn with what every child of taphouse needs: an absolute program path (no PATH
/// search, no shell), exactly the descriptors it is given (every other one is closed in the
/// child, close-on-exec or not), a clean signal mask and default handlers, an environment of
/// its own. ``BlockingCommand`` and the hook workers spawn through it.
public enum ProcessSpawn {
    /// What the child gets.
    public struct Options {
        /// The environment; a fixed PATH when nil.
        public var environment: [String]?
        /// Standard input: /dev/null when nil.
        public var standardInput: Int32?
        /// Standard output: /dev/null when nil.
        public var standardOutput: Int32?
        /// Standard error: ours when nil.
        public var standardError: Int32?
        /// Descriptors the child gets as 3, 4, ... in this order.
        public var passing: [Int32]
        /// The child's working folder (default: ours).
        public var directory: String?
        /// Whether the child leads a process group of its own (its pid), so that it and what it
        /// starts can be killed together.
        public var newProcessGroup: Bool
        /// The file to run when it is not `argv[0]` (`/proc/self/exe`: this process's own
        /// binary, even once a package upgrade replaced the file it was started from).
        public var executable: String?

        public init(
            environment: [String]? = nil, standardInput: Int32? = nil, standardOutput: Int32? = nil,
            standardError: Int32? = nil, passing: [Int32] = [], directory: String? = nil,
            newProcessGroup: Bool = false, executable: String? = nil
        ) {
            self.executable = executable
            self.environment = environment
            self.standardInput = standardInput
            self.standardOutput = standardOutput
            self.standardError = standardError
            self.passing = passing
            self.directory = directory
            self.newProcessGroup = newProcessGroup
        }
    }

    /// The PATH children get when they are given no environment.
    public static let defaultEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]

    /// Starts `argv` and returns its pid.
    public static func spawn(_ argv: [String], _ options: Options) throws(HostNetError) -> pid_t {
        let command = argv.joined(separator: " ")
        guard let program = options.executable ?? argv.first, program.hasPrefix("/") else {
            throw HostNetError(
                .invalid, command.isEmpty ? "exec" : command, detail: "the program must be an absolute path")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let fd = options.standardInput {
            posix_spawn_file_actions_adddup2(&actions, fd, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if let fd = options.standardOutput {
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if let fd = options.standardError { posix_spawn_file_actions_adddup2(&actions, fd, 2) }
        // Each passed fd is first copied above the targets 3, 4, ..., so that no dup2 onto one of
        // them overwrites a fd not yet moved; dup2 clears close-on-exec on the target. Only just
        // above: a copy past the fd table's size (64) makes the kernel grow the table, which in a
        // process with threads waits for an RCU grace period (6-15 ms here, per start).
        var staged: [Int32] = []
        defer { for fd in staged { close(fd) } }
        for fd in options.passing {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, Int32(3 + options.passing.count))
            guard copy >= 0 else {
                throw HostNetError(.kernel, command, detail: "cannot pass fd \(fd)", errno: Errno(rawValue: errno))
            }
            staged.append(copy)
        }
        for (offset, fd) in staged.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + offset)) }
        clinux_spawn_closefrom(&actions, Int32(3 + staged.count))
        if let directory = options.directory { clinux_spawn_chdir(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A fresh signal mask and default handlers: the caller's must not leak into the child.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if options.newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var pid: pid_t = 0
        let status = withCStrings(argv) { cArgv in
            withCStrings(options.environment ?? defaultEnvironment) { cEnv in
                posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnv)
            }
        }
        guard status == 0 else { throw HostNetError(.command, command, errno: Errno(rawValue: status)) }
        return pid
    }

    /// pipe(2) with both ends close-on-exec (Glibc's module does not export pipe2; the window
    /// between pipe and fcntl only matters to a fork made by another thread in between).
    public static func pipe() throws(HostNetError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw HostNetError(.kernel, "pipe", errno: Errno(rawValue: errno)) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

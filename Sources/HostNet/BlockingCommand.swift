import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs a command as an argv, synchronously, with a deadline: for callers that cannot await
/// (a Lua hook's `exec`, `ovs-vsctl` under a hook). posix_spawn, no shell; standard input is
/// /dev/null; output is captured up to a limit; a command still running at the deadline is
/// killed (SIGKILL) and reaped.
public enum BlockingCommand {
    /// - Parameter passing: fds the child gets, as 3, 4, ... in this order (a tap's queues for
    ///   qemu). The child gets exactly these besides stdin (/dev/null), stdout and stderr: every
    ///   other descriptor is closed in it, whether or not it was close-on-exec.
    /// - Parameter directory: the child's working folder (default: ours).
    public static func run(
        _ argv: [String], timeout: Duration, outputLimit: Int = 1 << 20, environment: [String]? = nil,
        passing: [Int32] = [], directory: String? = nil
    ) throws(HostNetError) -> CommandRunner.Output {
        try spawn(argv, environment: environment, passing: passing, directory: directory).wait(
            timeout: timeout, outputLimit: outputLimit)
    }

    /// Starts the command and returns at once; ``SpawnedCommand/wait(timeout:outputLimit:)``
    /// collects its output and status. For a caller with work to do while it runs (the NIC hooks
    /// while qemu starts paused).
    public static func spawn(
        _ argv: [String], environment: [String]? = nil, passing: [Int32] = [], directory: String? = nil
    ) throws(HostNetError) -> SpawnedCommand {
        let command = argv.joined(separator: " ")
        guard let program = argv.first, program.hasPrefix("/") else {
            throw HostNetError(
                .invalid, command.isEmpty ? "exec" : command, detail: "the program must be an absolute path")
        }
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard openPipe(&outPipe) else { throw HostNetError(.kernel, command, errno: Errno(rawValue: errno)) }
        guard openPipe(&errPipe) else {
            close(outPipe[0])
            close(outPipe[1])
            throw HostNetError(.kernel, command, errno: Errno(rawValue: errno))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Each passed fd is first copied above the targets 3, 4, ..., so that no dup2 onto one of
        // them overwrites a fd not yet moved; dup2 clears close-on-exec on the target. Only just
        // above: a copy past the fd table's size (64) makes the kernel grow the table, which in a
        // process with threads waits for an RCU grace period (6-15 ms here, per start).
        var staged: [Int32] = []
        defer { for fd in staged { close(fd) } }
        for fd in passing {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, Int32(3 + passing.count))
            guard copy >= 0 else {
                close(outPipe[0])
                close(outPipe[1])
                close(errPipe[0])
                close(errPipe[1])
                throw HostNetError(.kernel, command, detail: "cannot pass fd \(fd)", errno: Errno(rawValue: errno))
            }
            staged.append(copy)
        }
        for (offset, fd) in staged.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(3 + offset)) }
        clinux_spawn_closefrom(&actions, Int32(3 + staged.count))
        if let directory { clinux_spawn_chdir(&actions, directory) }
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
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = environment ?? ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        var pid: pid_t = 0
        let status = withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in posix_spawn(&pid, program, &actions, &attributes, cArgv, cEnv) }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard status == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw HostNetError(.command, command, errno: Errno(rawValue: status))
        }
        return SpawnedCommand(command: command, pid: pid, standardOutput: outPipe[0], standardError: errPipe[0])
    }

    /// pipe(2) with both ends close-on-exec (Glibc's module does not export pipe2; the window
    /// between pipe and fcntl only matters to a fork made by another thread in between).
    private static func openPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

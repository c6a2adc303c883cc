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
    public static func run(
        _ argv: [String], timeout: Duration, outputLimit: Int = 1 << 20, environment: [String]? = nil,
        passing: [Int32] = []
    ) throws(HostNetError) -> CommandRunner.Output {
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
        // Each passed fd is first copied far above the targets, so that no dup2 onto 3, 4, ...
        // overwrites one not yet moved; dup2 clears close-on-exec on the target.
        var staged: [Int32] = []
        defer { for fd in staged { close(fd) } }
        for fd in passing {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 1024)
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
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard status == 0 else { throw HostNetError(.command, command, errno: Errno(rawValue: status)) }

        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var out: [UInt8] = []
        var err: [UInt8] = []
        var open = [outPipe[0], errPipe[0]]
        var timedOut = false
        while !open.isEmpty {
            let remaining = deadline - clock.now
            if remaining <= .zero {
                timedOut = true
                break
            }
            let (s, atto) = remaining.components
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(clamping: s * 1000 + atto / 1_000_000_000_000_000 + 1))
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 16384)
                let n = read(entry.fd, &buffer, buffer.count)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    open.removeAll { $0 == entry.fd }
                } else if entry.fd == outPipe[0] {
                    if out.count < outputLimit { out += buffer[..<min(n, outputLimit - out.count)] }
                } else if err.count < outputLimit {
                    err += buffer[..<min(n, outputLimit - err.count)]
                }
            }
        }
        if timedOut { kill(pid, SIGKILL) }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        if timedOut { throw HostNetError(.command, command, detail: "no answer within \(timeout); killed") }
        let exitCode: Int32 = (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
        return CommandRunner.Output(
            status: exitCode, standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: err, as: UTF8.self))
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

import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A command started by ``BlockingCommand/spawn(_:environment:passing:directory:standardInput:detach:)``,
/// the leader of a process group of its own: its pid and its pipes, until
/// ``wait(timeout:outputLimit:)`` reaps it. Waiting is required: it closes the pipes and leaves
/// no zombie.
///
/// The wait ends when the command exits, not when its output pipes close: a command that leaves
/// a child holding them (`sleep 30 & echo started`) returns at once with what it wrote. What it
/// left running in its group is then killed and reported, unless it was started to `detach`
/// (a Ganeti script that starts a helper on purpose); at the deadline the whole group is killed.
public final class SpawnedCommand {
    /// The argv as one line, for errors.
    public let command: String
    public let pid: pid_t
    private let outFD: Int32
    private let errFD: Int32
    private var inFD: Int32?
    private var input: [UInt8]
    private let detach: Bool
    private var result: Result<CommandRunner.Output, HostNetError>?

    init(
        command: String, pid: pid_t, standardOutput: Int32, standardError: Int32, standardInput: Int32?,
        input: [UInt8], detach: Bool
    ) {
        self.command = command
        self.pid = pid
        outFD = standardOutput
        errFD = standardError
        inFD = standardInput
        self.input = input
        self.detach = detach
    }

    deinit {
        // Never waited for (a caller that threw on the way): at least its pipes do not leak.
        if result == nil {
            close(outFD)
            close(errFD)
            if let inFD { close(inFD) }
        }
    }

    /// Feeds its input, reads its output until it exits, then reaps it; still running at the
    /// deadline, its group is killed (SIGKILL) and it is reaped. A second call returns the first
    /// one's answer.
    public func wait(timeout: Duration, outputLimit: Int = 1 << 20) throws(HostNetError) -> CommandRunner.Output {
        if let result { return try result.get() }
        let outcome = Result { () throws(HostNetError) in try collect(timeout: timeout, outputLimit: outputLimit) }
        result = outcome
        return try outcome.get()
    }

    private func collect(timeout: Duration, outputLimit: Int) throws(HostNetError) -> CommandRunner.Output {
        let exitFD = clinux_pidfd_open(pid)
        defer {
            close(outFD)
            close(errFD)
            if let inFD { close(inFD) }
            if exitFD >= 0 { close(exitFD) }
        }
        for fd in [outFD, errFD] + (inFD.map { [$0] } ?? []) {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var out: [UInt8] = []
        var err: [UInt8] = []
        var open = [outFD, errFD]
        var written = 0
        if input.isEmpty, let fd = inFD {
            close(fd)
            inFD = nil
        }
        var exited = false
        var timedOut = false
        // Without a pidfd (a kernel before 5.3) the end of the output stands for the exit.
        while !exited && (exitFD >= 0 || !open.isEmpty) {
            let remaining = deadline - clock.now
            if remaining <= .zero {
                timedOut = true
                break
            }
            let (s, atto) = remaining.components
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if let fd = inFD { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
            if exitFD >= 0 { fds.append(pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(clamping: s * 1000 + atto / 1_000_000_000_000_000 + 1))
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == exitFD {
                    exited = true
                } else if entry.fd == inFD {
                    written += feed(from: written)
                } else {
                    let more =
                        entry.fd == outFD
                        ? drain(entry.fd, into: &out, limit: outputLimit)
                        : drain(entry.fd, into: &err, limit: outputLimit)
                    if !more { open.removeAll { $0 == entry.fd } }
                }
            }
        }
        if timedOut {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            reap()
            throw HostNetError(
                .command, command, detail: "no answer within \(Self.seconds(timeout)); killed with its process group")
        }
        // What it wrote before it exited is in the pipes: read it without waiting for a child
        // that may hold them open.
        for fd in open {
            if fd == outFD {
                _ = drain(fd, into: &out, limit: outputLimit)
            } else {
                _ = drain(fd, into: &err, limit: outputLimit)
            }
        }
        let status = reap()
        let left = ProcessGroup.members(pid)
        if !left.isEmpty && !detach { kill(-pid, SIGKILL) }
        return CommandRunner.Output(
            status: status, standardOutput: String(decoding: out, as: UTF8.self),
            standardError: String(decoding: err, as: UTF8.self), leftRunning: left, leftRunningKilled: !detach)
    }

    /// Writes what is left of the input from `offset`; closes the pipe at the end (or when the
    /// command closed its end). Returns how much it wrote.
    private func feed(from offset: Int) -> Int {
        guard let fd = inFD else { return 0 }
        let n = input.withUnsafeBytes { raw in
            Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
        }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return 0 }
        if n < 0 || offset + n >= input.count {
            close(fd)
            inFD = nil
        }
        return max(0, n)
    }

    /// Reads what is there; false at the end of the pipe.
    private func drain(_ fd: Int32, into bytes: inout [UInt8], limit: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 {
                if bytes.count < limit { bytes += buffer[..<min(n, limit - bytes.count)] }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            return n < 0 && errno == EAGAIN
        }
    }

    /// Waits for the command and returns its status as a shell shows it (128 + signal).
    @discardableResult
    private func reap() -> Int32 {
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 && errno == EINTR {}
        return (waitStatus & 0x7f) == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
    }

    /// `1.5 seconds`: a timeout as a person reads it (one decimal; Duration prints all it has).
    static func seconds(_ duration: Duration) -> String {
        let (whole, atto) = duration.components
        let tenths = whole * 10 + (atto + 50_000_000_000_000_000) / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10) seconds"
    }
}

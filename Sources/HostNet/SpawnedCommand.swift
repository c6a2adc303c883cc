import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A command started by ``BlockingCommand/spawn(_:environment:passing:)``: its pid and the read
/// ends of its output pipes, until ``wait(timeout:outputLimit:)`` reaps it. Waiting is required:
/// it closes the pipes and leaves no zombie.
public final class SpawnedCommand {
    /// The argv as one line, for errors.
    public let command: String
    public let pid: pid_t
    private let outFD: Int32
    private let errFD: Int32
    private var result: Result<CommandRunner.Output, HostNetError>?

    init(command: String, pid: pid_t, standardOutput: Int32, standardError: Int32) {
        self.command = command
        self.pid = pid
        outFD = standardOutput
        errFD = standardError
    }

    deinit {
        // Never waited for (a caller that threw on the way): at least its pipes do not leak.
        if result == nil {
            close(outFD)
            close(errFD)
        }
    }

    /// Reads its output until it closes both pipes, then reaps it; still running at the deadline,
    /// it is killed (SIGKILL) and reaped. A second call returns the first one's answer.
    public func wait(timeout: Duration, outputLimit: Int = 1 << 20) throws(HostNetError) -> CommandRunner.Output {
        if let result { return try result.get() }
        let outcome = Result { () throws(HostNetError) in try collect(timeout: timeout, outputLimit: outputLimit) }
        result = outcome
        return try outcome.get()
    }

    private func collect(timeout: Duration, outputLimit: Int) throws(HostNetError) -> CommandRunner.Output {
        defer {
            close(outFD)
            close(errFD)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var out: [UInt8] = []
        var err: [UInt8] = []
        var open = [outFD, errFD]
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
                } else if entry.fd == outFD {
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
}

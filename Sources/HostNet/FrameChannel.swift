import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Messages over a stream socket between two processes of taphouse (the node and a hook
/// worker): each frame is a 4-byte big-endian length and that many bytes. Every send and
/// receive has a deadline; a frame over ``maximumFrame`` is refused on both sides.
///
/// The socket is non-blocking: each exchange tries the call first and waits in poll only when
/// the socket is not ready, and a receive takes what is there in one read, so a short frame
/// costs one system call each way.
///
/// The channel owns its descriptor and closes it when released. Not thread-safe: one exchange
/// at a time.
public final class FrameChannel {
    /// Why an exchange failed.
    public enum Failure: Error, Sendable, Equatable {
        /// The peer closed its end (it exited, or was killed).
        case closed
        /// Nothing (or not all of it) arrived before the deadline.
        case timeout
        /// A frame longer than the limit was announced or asked for.
        case tooLarge(Int)
        /// The socket failed.
        case system(Errno)
    }

    /// The longest frame either side sends: a hook spec's case or result, a console description,
    /// a few thousand host calls.
    public static let maximumFrame = 64 << 20

    public let fd: Int32
    private var closed = false
    /// Bytes read past the last frame returned.
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    /// Takes over `fd` and makes it non-blocking (the peer's end, a separate descriptor, is not
    /// affected).
    public init(fd: Int32) {
        self.fd = fd
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    deinit { close() }

    /// Closes the descriptor (once).
    public func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }

    /// A connected pair of close-on-exec stream sockets.
    public static func pair() throws(HostNetError) -> (FrameChannel, FrameChannel) {
        var fds: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        _ = try Syscall.check("socketpair") { socketpair(AF_UNIX, type, 0, &fds) }
        return (FrameChannel(fd: fds[0]), FrameChannel(fd: fds[1]))
    }

    /// Sends one frame; `deadline` on the monotonic clock.
    public func send(_ payload: [UInt8], deadline: ContinuousClock.Instant) throws(Failure) {
        guard payload.count <= Self.maximumFrame else { throw .tooLarge(payload.count) }
        let length = UInt32(payload.count)
        var frame: [UInt8] = [
            UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff),
        ]
        frame += payload
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n >= 0 {
                sent += n
                continue
            }
            let error = Errno(rawValue: errno)
            switch error {
            case .interrupted: continue
            case .wouldBlock: try wait(for: Int16(POLLOUT), deadline: deadline)
            case .brokenPipe, .connectionReset: throw .closed
            default: throw .system(error)
            }
        }
    }

    /// Receives one frame; `deadline` on the monotonic clock (nil: wait as long as it takes).
    public func receive(deadline: ContinuousClock.Instant?) throws(Failure) -> [UInt8] {
        try fill(4, deadline: deadline)
        let length = Int(pending[0]) << 24 | Int(pending[1]) << 16 | Int(pending[2]) << 8 | Int(pending[3])
        guard length <= Self.maximumFrame else { throw .tooLarge(length) }
        try fill(4 + length, deadline: deadline)
        let frame = Array(pending[4..<(4 + length)])
        pending.removeFirst(4 + length)
        return frame
    }

    /// Reads until `pending` holds at least `count` bytes.
    private func fill(_ count: Int, deadline: ContinuousClock.Instant?) throws(Failure) {
        while pending.count < count {
            let n = buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress!, raw.count, 0) }
            if n > 0 {
                pending += buffer[..<n]
                continue
            }
            if n == 0 { throw .closed }
            let error = Errno(rawValue: errno)
            switch error {
            case .interrupted: continue
            case .wouldBlock: try wait(for: Int16(POLLIN), deadline: deadline)
            case .connectionReset: throw .closed
            default: throw .system(error)
            }
        }
    }

    /// Waits until the socket is ready for `events`, or the deadline passes.
    private func wait(for events: Int16, deadline: ContinuousClock.Instant?) throws(Failure) {
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - ContinuousClock.now
                if left <= .zero { throw .timeout }
                let (seconds, attoseconds) = left.components
                timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw .system(Errno(rawValue: errno))
            }
            if ready > 0 { return }
        }
    }
}

import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A connected `AF_UNIX` stream socket whose every wait is bounded by a ``Deadline``.
///
/// The descriptor is non-blocking and each wait is a poll(2) with the time left: a blocking
/// connect(2) to a listener whose backlog is full would hang with no way to time it out, and a
/// blocking send(2) to a qemu that stopped reading would too. Not thread-safe.
final class UnixSocket {
    /// What a read brought.
    enum ReadResult {
        case bytes(ArraySlice<UInt8>)
        /// The peer closed its end (qemu exited or dropped us).
        case endOfFile
        case timedOut
    }

    let path: String
    private var fd: Int32
    /// Where recv(2) writes: allocated, never filled, so that a session's resident memory is
    /// the pages qemu's messages reached (a few KiB), not the 64 KiB a large answer may take in
    /// one read. The daemon holds one socket an instance for the instance's life.
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)

    /// sun_path's size, the terminating NUL included.
    static let pathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    // close(2) is not retried on EINTR: on Linux the fd is released even then, and a retry could
    // close an fd another thread has just been given.
    deinit {
        close()
        chunk.deallocate()
    }

    var isOpen: Bool { fd >= 0 }

    /// Ends both directions without releasing the descriptor: a thread blocked reading it
    /// wakes with end of file, and releases it itself.
    func shutdown() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Connects to the socket at `path`. Refusals name the path and the errno; a full backlog
    /// (the listener is not accepting) is retried until the deadline.
    static func connect(path: String, deadline: Deadline) throws(QMPError) -> UnixSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty else { throw QMPError(.connect, "empty QMP socket path") }
        guard !bytes.contains(0) else { throw QMPError(.connect, "QMP socket path contains a NUL byte: \(path)") }
        guard bytes.count < pathCapacity else {
            throw QMPError(
                .connect,
                "QMP socket path is \(bytes.count) bytes, a Unix socket address holds at most \(pathCapacity - 1): "
                    + path)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }

        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        let fd: Int32
        switch Syscall.result({ Glibc.socket(AF_UNIX, type, 0) }) {
        case .success(let value): fd = value
        case .failure(let error): throw failure(.connect, "open a socket for \(path)", error)
        }
        let connection = UnixSocket(fd: fd, path: path)
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        while true {
            let result = Syscall.result {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
                }
            }
            switch result {
            case .success:
                return connection
            case .failure(.resourceTemporarilyUnavailable):
                // Linux says EAGAIN, and offers nothing to poll on, when the listener's backlog is
                // full; only trying again later tells when there is room.
                guard !deadline.hasPassed else {
                    throw QMPError(.timeout, "QMP socket \(path) accepted no connection in time (backlog full)")
                }
                _ = Syscall.result { poll(nil, 0, min(10, deadline.pollMilliseconds)) }
            case .failure(.nowInProgress):
                guard try connection.wait(for: Int16(POLLOUT), until: deadline) else {
                    throw QMPError(.timeout, "QMP socket \(path) accepted no connection in time")
                }
                var error: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                _ = Syscall.result { getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) }
                if error != 0 { throw connectFailure(path, Errno(rawValue: error)) }
                return connection
            case .failure(let error):
                throw connectFailure(path, error)
            }
        }
    }

    /// Reads what is there, waiting up to the deadline for something to arrive. Data already
    /// waiting is returned even when the deadline has passed.
    func read(until deadline: Deadline) throws(QMPError) -> ReadResult {
        guard fd >= 0 else { return .endOfFile }
        while true {
            let result = Syscall.result { recv(fd, chunk.baseAddress, chunk.count, 0) }
            switch result {
            case .success(0):
                return .endOfFile
            case .success(let n):
                return .bytes(ArraySlice(UnsafeRawBufferPointer(rebasing: chunk[0..<n])))
            case .failure(.resourceTemporarilyUnavailable):
                guard try wait(for: Int16(POLLIN), until: deadline) else { return .timedOut }
            case .failure(.connectionReset):
                return .endOfFile
            case .failure(let error):
                throw Self.failure(.closed, "read from QMP socket \(path)", error)
            }
        }
    }

    /// Writes all of `bytes`; false when the deadline passed first, which may leave part of them
    /// written.
    func write(_ bytes: [UInt8], until deadline: Deadline) throws(QMPError) -> Bool {
        guard fd >= 0 else { throw QMPError(.closed, "QMP connection to \(path) is closed") }
        var offset = 0
        while offset < bytes.count {
            let result = Syscall.result {
                bytes.withUnsafeBytes {
                    // MSG_NOSIGNAL: a qemu that has exited must be an error here, not a SIGPIPE
                    // that kills the whole daemon.
                    send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
            switch result {
            case .success(let n):
                offset += n
            case .failure(.resourceTemporarilyUnavailable):
                guard try wait(for: Int16(POLLOUT), until: deadline) else { return false }
            case .failure(let error):
                throw writeFailure(error)
            }
        }
        return true
    }

    /// Writes all of `bytes` as ``write(_:until:)`` does, with `fd` passed along the first byte
    /// (`SCM_RIGHTS`): qemu's `getfd` and `add-fd` take the descriptor that came with their own
    /// request. The kernel takes a duplicate; the caller keeps and closes `fd`.
    func write(_ bytes: [UInt8], passing fd: Int32, until deadline: Deadline) throws(QMPError) -> Bool {
        guard self.fd >= 0 else { throw QMPError(.closed, "QMP connection to \(path) is closed") }
        guard !bytes.isEmpty else { return true }
        // struct cmsghdr, then the int, each aligned to size_t: what CMSG_SPACE and CMSG_LEN
        // compute (macros Swift does not import).
        let align = MemoryLayout<Int>.size
        let header = (MemoryLayout<cmsghdr>.size + align - 1) / align * align
        var control = [UInt8](repeating: 0, count: header + (MemoryLayout<Int32>.size + align - 1) / align * align)
        control.withUnsafeMutableBytes { raw in
            let cmsg = raw.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
            cmsg.pointee.cmsg_len = header + MemoryLayout<Int32>.size
            cmsg.pointee.cmsg_level = SOL_SOCKET
            cmsg.pointee.cmsg_type = Int32(SCM_RIGHTS)
            raw.storeBytes(of: fd, toByteOffset: header, as: Int32.self)
        }
        while true {
            let result = Syscall.result {
                bytes.withUnsafeBytes { data in
                    control.withUnsafeMutableBytes { controlBytes in
                        var vector = iovec(iov_base: UnsafeMutableRawPointer(mutating: data.baseAddress!), iov_len: 1)
                        return withUnsafeMutablePointer(to: &vector) { iov in
                            var message = msghdr()
                            message.msg_iov = iov
                            message.msg_iovlen = 1
                            message.msg_control = controlBytes.baseAddress
                            message.msg_controllen = controlBytes.count
                            return sendmsg(self.fd, &message, Int32(MSG_NOSIGNAL))
                        }
                    }
                }
            }
            switch result {
            case .success:
                return try write(Array(bytes.dropFirst()), until: deadline)
            case .failure(.resourceTemporarilyUnavailable):
                guard try wait(for: Int16(POLLOUT), until: deadline) else { return false }
            case .failure(let error):
                throw writeFailure(error)
            }
        }
    }

    /// Why a write failed: qemu gone (its end closed), or another error of the socket.
    private func writeFailure(_ error: Errno) -> QMPError {
        error == .brokenPipe || error == .connectionReset
            ? Self.failure(.closed, "qemu closed QMP socket \(path)", error)
            : Self.failure(.closed, "write to QMP socket \(path)", error)
    }

    /// Waits until `events` are ready; false at the deadline. Hang-up and error count as ready:
    /// the read or write that follows reports them.
    private func wait(for events: Int16, until deadline: Deadline) throws(QMPError) -> Bool {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        // The time left is measured again on each try, so signals do not stretch the wait.
        switch Syscall.result({ poll(&entry, 1, deadline.pollMilliseconds) }) {
        case .success(let ready): return ready > 0
        case .failure(let error): throw Self.failure(.closed, "poll QMP socket \(path)", error)
        }
    }

    private static func connectFailure(_ path: String, _ error: Errno) -> QMPError {
        let hint: String
        switch error {
        case .noSuchFileOrDirectory: hint = ", is the instance running?"
        case .connectionRefused: hint = ", nothing listens there (a stale socket of an exited qemu?)"
        default: hint = ""
        }
        return QMPError(
            .connect, "cannot connect to QMP socket \(path): \(error) (errno \(error.rawValue))\(hint)", errno: error)
    }

    private static func failure(_ code: QMPError.Code, _ operation: String, _ error: Errno) -> QMPError {
        QMPError(code, "\(operation): \(error) (errno \(error.rawValue))", errno: error)
    }
}

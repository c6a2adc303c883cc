import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The native serial console: the terminal joined to an instance's serial socket
/// (`ctrl/<instance>.serial`) in both directions, where Ganeti ran socat under ssh. The escape key
/// Ctrl-] leaves; the terminal is in raw mode meanwhile and restored however the attach ends.
public enum SerialConsole {
    /// Ctrl-], as socat's `escape=0x1d` in Ganeti's console command and telnet's default.
    public static let escape: UInt8 = 0x1d

    /// How an attach ended.
    public enum Ending: Equatable, Sendable {
        /// The user typed the escape key.
        case detached
        /// qemu closed the socket: the instance stopped.
        case closed
        /// Standard input ended (it was a file or a pipe), and the console was read a moment
        /// longer so that answers to the last input were shown.
        case inputEnded
    }

    /// Joins `input`/`output` to the serial socket at `path` until one of ``Ending``.
    /// `attached` runs once the socket is connected and the terminal raw (the unpause of a paused
    /// instance); a message it returns is shown on `output`.
    public static func attach(
        socket path: String, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO,
        attached: () throws -> String?
    ) throws -> Ending {
        let socket = try connect(path)
        defer { _ = close(socket) }
        let terminal = try RawTerminal.enter(input)
        defer { terminal?.restore() }
        if let message = try attached() {
            try write(Array((message + "\r\n").utf8), to: output, what: "the terminal")
        }
        return try relay(input: input, output: output, socket: socket)
    }

    /// How long the console is still read after piped input ended: long enough for the guest to
    /// answer the last line.
    static let linger: Int32 = 500

    private static func relay(input: Int32, output: Int32, socket: Int32) throws -> Ending {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var inputOpen = true
        while true {
            var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            if inputOpen { fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), inputOpen ? -1 : linger)
            if ready < 0 {
                if errno == EINTR { continue }
                throw NodeError(.console, "waiting on the console: \(String(cString: strerror(errno)))")
            }
            if ready == 0 { return .inputEnded }
            if fds[0].revents != 0 {
                let count = read(socket, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return .closed }
                try write(Array(buffer[..<count]), to: output, what: "the terminal")
            }
            if inputOpen, fds[1].revents != 0 {
                let count = read(input, &buffer, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    inputOpen = false
                    continue
                }
                let typed = buffer[..<count]
                if let escape = typed.firstIndex(of: escape) {
                    try write(Array(typed[..<escape]), to: socket, what: "the console")
                    return .detached
                }
                try write(Array(typed), to: socket, what: "the console")
            }
        }
    }

    private static func connect(_ path: String) throws(NodeError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw NodeError(.console, "\(path): too long for a Unix socket address")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NodeError(.console, "\(path): \(String(cString: strerror(errno)))") }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        guard connected == 0 else {
            let error = errno
            _ = close(fd)
            switch error {
            case ENOENT: throw NodeError(.console, "no serial console socket at \(path): is serial_console on?")
            case ECONNREFUSED: throw NodeError(.console, "nothing listens on \(path): qemu is gone")
            default: throw NodeError(.console, "\(path): \(String(cString: strerror(error)))")
            }
        }
        return fd
    }

    /// Writes all of `bytes`, through partial writes, EINTR, and a non-blocking descriptor.
    private static func write(_ bytes: [UInt8], to fd: Int32, what: String) throws(NodeError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count >= 0 {
                offset += count
            } else if errno == EAGAIN {
                var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&entry, 1, -1)
            } else if errno != EINTR {
                throw NodeError(.console, "writing to \(what): \(String(cString: strerror(errno)))")
            }
        }
    }
}

import Foundation
import QEMU

#if canImport(Glibc)
import Glibc
#endif

/// A QMP server played by a script, for the client's neighbour in tests: listens on a Unix
/// socket, accepts one client, sends qemu 7.2's greeting (unless told not to) and runs the script
/// on a thread of its own. Exchanges are checked by the script; ``finish()`` reports what went
/// wrong there.
final class FakeQMPServer: @unchecked Sendable {
    /// The client's end as the script sees it: lines in, JSON out.
    final class Peer {
        private let fd: Int32
        private var buffer: [UInt8] = []

        fileprivate init(fd: Int32) {
            self.fd = fd
            // A client that never writes must fail the test, not hang it.
            var limit = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }

        /// Sends `line` with QMP's CRLF.
        func send(_ line: String) {
            sendPartial(line + "\r\n")
        }

        /// Sends `text` as it is, for a message cut short.
        func sendPartial(_ text: String) {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
                }
                if n <= 0 { return }
                offset += n
            }
        }

        /// The next line the client sent, parsed; nil at EOF.
        func receive() throws -> JSONValue? {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[..<newline]
                    buffer.removeFirst(newline + 1)
                    return try JSONValue.parse(line)
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n == 0 { return nil }
                if n < 0 { throw Failure("recv: errno \(errno)") }
                buffer += chunk[0..<n]
            }
        }

        /// Receives a request for `command` and returns its id.
        func expect(_ command: String) throws -> String {
            guard let request = try receive() else { throw Failure("EOF instead of \(command)") }
            guard request["execute"]?.stringValue == command, let id = request["id"]?.stringValue else {
                throw Failure("expected \(command), got \(request)")
            }
            return id
        }

        /// Answers `qmp_capabilities`, as every session starts.
        func negotiate() throws {
            let id = try expect("qmp_capabilities")
            send(#"{"return": {}, "id": "\#(id)"}"#)
        }

        /// Waits for the client to hang up.
        func waitForClose() throws {
            while let extra = try receive() { throw Failure("unexpected \(extra)") }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static let greeting =
        #"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}"#

    let path: String
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var failure: String?

    init(path: String, greet: Bool = true, script: @escaping @Sendable (Peer) throws -> Void) {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        precondition(bound == 0 && listen(listener, 4) == 0, "fake QMP server on \(path): errno \(errno)")
        Thread { [self] in
            defer { done.signal() }
            // Bounded, so a test that never connects does not leave the thread behind for good.
            var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 10_000) == 1 else { return record("no client within 10s") }
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return record("accept: errno \(errno)") }
            // A qemu spawned by a test running alongside must not inherit our end: the client would
            // then never see EOF when the script ends (accept4 is not imported without _GNU_SOURCE).
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            defer { Glibc.close(fd) }
            let peer = Peer(fd: fd)
            if greet { peer.send(Self.greeting) }
            do { try script(peer) } catch { record("\(error)") }
        }.start()
    }

    deinit { Glibc.close(listener) }

    /// Waits for the script to end and returns what went wrong in it, if anything.
    func finish() -> String? {
        if done.wait(timeout: .now() + 10) == .timedOut { return "the script did not end within 10s" }
        return lock.withLock { failure }
    }

    private func record(_ message: String) {
        lock.withLock { failure = failure ?? message }
    }
}

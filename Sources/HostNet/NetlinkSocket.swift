import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// An `AF_NETLINK`/`NETLINK_ROUTE` socket (close-on-exec): sends a request and collects the
/// kernel's answer (the ack, or the messages of a dump up to `NLMSG_DONE`), checking sequence
/// numbers and that answers come from the kernel. A kernel error becomes a ``HostNetError`` of code
/// `.kernel` with the errno and, where the kernel gives one, its extended-ack text as detail.
///
/// The socket belongs to the network namespace of the thread that opened it, for its whole life.
/// Not thread-safe: one request at a time.
final class NetlinkSocket {
    /// One message of an answer: its type, flags and payload (what follows the `nlmsghdr`).
    struct Reply {
        var type: UInt16
        var flags: UInt16
        var payload: ArraySlice<UInt8>
    }

    private let fd: Int32
    private var sequence: UInt32
    /// Dumps come in datagrams of at most 32 KiB (the kernel's cap for one dump skb); twice that
    /// leaves room for the largest single answers. A datagram that does not fit is an error, never
    /// silently cut.
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    /// How often an interrupted dump (the table changed while the kernel was sending it) is
    /// asked for again before its last answer is used as it is.
    private static let dumpAttempts = 4

    init() throws(HostNetError) {
        let type = Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try Syscall.check("open a netlink socket") { socket(AF_NETLINK, type, NL.route) }
        // Truncated error echoes and the kernel's error text: both optional (older kernels lack
        // them), so failures are ignored.
        var on: Int32 = 1
        for option in [NL.capAck, NL.extendedAck] {
            _ = Syscall.result { setsockopt(fd, NL.socketLevel, option, &on, socklen_t(MemoryLayout<Int32>.size)) }
        }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        let bound = Syscall.result {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        if case .failure(let error) = bound {
            _ = Glibc.close(fd)
            throw HostNetError(.kernel, "bind a netlink socket", errno: error)
        }
        self.fd = fd
        // A random start makes a stale answer to an earlier socket with the same port id unlikely
        // to pass for ours.
        sequence = UInt32.random(in: 0...UInt32.max)
    }

    /// The cookie of the network namespace the socket belongs to (never reused before a
    /// reboot), or nil on kernels older than 5.14.
    func namespaceCookie() -> UInt64? {
        var cookie: UInt64 = 0
        guard case .success = Syscall.result({ clinux_netns_cookie(fd, &cookie) }) else { return nil }
        return cookie
    }

    // close(2) is the one call not retried on EINTR: on Linux the fd is released even then, and a
    // retry could close an fd another thread has just been given.
    deinit { _ = Glibc.close(fd) }

    /// Sends `message` with NLM_F_ACK and waits for the ack; returns the messages that came
    /// before it (the answer of a `GET` that is not a dump).
    @discardableResult
    func request(_ message: NetlinkMessage, _ operation: String) throws(HostNetError) -> [Reply] {
        try exchange(message, operation)
    }

    /// Sends a `GET` for one object without NLM_F_ACK and returns the kernel's one answer: a
    /// round trip less than ``request(_:_:)`` (hooks read a handful of links per NIC).
    func get(_ message: NetlinkMessage, _ operation: String) throws(HostNetError) -> Reply? {
        try exchange(message, operation, firstReplyEnds: true).first
    }

    /// Sends a dump request and returns every message of the answer, up to `NLMSG_DONE`.
    func dump(_ message: NetlinkMessage, _ operation: String) throws(HostNetError) -> [Reply] {
        var attempt = 1
        while true {
            let replies = try exchange(message, operation)
            let interrupted = replies.contains { $0.flags & NL.dumpInterrupted != 0 }
            if !interrupted || attempt == Self.dumpAttempts { return replies }
            attempt += 1
        }
    }

    private func exchange(
        _ message: NetlinkMessage, _ operation: String, firstReplyEnds: Bool = false
    ) throws(HostNetError) -> [Reply] {
        sequence &+= 1
        let expected = sequence
        let bytes = message.finished(sequence: expected)
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = try Syscall.check(operation, detail: "netlink send") {
            bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &kernel) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
        guard sent == bytes.count else {
            throw HostNetError(.kernel, operation, detail: "netlink send: \(sent) of \(bytes.count) bytes sent")
        }
        var replies: [Reply] = []
        while true {
            var sender = sockaddr_nl()
            var senderLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
            let count = try Syscall.check(operation, detail: "netlink receive") {
                buffer.withUnsafeMutableBytes { raw in
                    withUnsafeMutablePointer(to: &sender) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            recvfrom(fd, raw.baseAddress, raw.count, Int32(MSG_TRUNC), $0, &senderLength)
                        }
                    }
                }
            }
            guard count <= buffer.count else {
                throw HostNetError(.kernel, operation, detail: "netlink answer of \(count) bytes did not fit")
            }
            // Only the kernel (port 0) answers requests; anything else on this socket is ignored.
            guard sender.nl_pid == 0 else { continue }
            let received = buffer[0..<count]
            var offset = 0
            while offset + NetlinkMessage.headerSize <= count {
                let length = Int(NetlinkMessage.get(received, offset, as: UInt32.self))
                guard length >= NetlinkMessage.headerSize, offset + length <= count else { break }
                let type = NetlinkMessage.get(received, offset + 4, as: UInt16.self)
                let flags = NetlinkMessage.get(received, offset + 6, as: UInt16.self)
                let messageSequence = NetlinkMessage.get(received, offset + 8, as: UInt32.self)
                let payload = received[(offset + NetlinkMessage.headerSize)..<(offset + length)]
                offset += (length + 3) & ~3
                guard messageSequence == expected else { continue }  // a late answer to an earlier request
                switch type {
                case NL.error:
                    let code = NetlinkMessage.get(payload, 0, as: Int32.self)
                    if code == 0 { return replies }  // the ack
                    throw HostNetError(
                        .kernel, operation, detail: Self.extendedAckText(payload, flags: flags),
                        errno: Errno(rawValue: -code))
                case NL.done:
                    return replies
                case NL.noop:
                    continue
                default:
                    replies.append(Reply(type: type, flags: flags, payload: ArraySlice(Array(payload))))
                    if firstReplyEnds { return replies }
                }
            }
        }
    }

    /// The kernel's error text (NLMSGERR_ATTR_MSG) from an NLMSG_ERROR payload, if it sent one:
    /// the TLVs follow the error code and the echoed request (only its header when capped).
    static func extendedAckText(_ payload: ArraySlice<UInt8>, flags: UInt16) -> String? {
        guard flags & NL.ackTLVs != 0 else { return nil }
        let capped = flags & 0x100 != 0  // NLM_F_CAPPED
        let echoed = capped ? NetlinkMessage.headerSize : Int(NetlinkMessage.get(payload, 4, as: UInt32.self))
        let start = 4 + ((echoed + 3) & ~3)
        guard start < payload.count else { return nil }
        let text = NetlinkAttributes(payload.dropFirst(start)).string(NL.errorMessage)
        return text?.isEmpty == false ? text : nil
    }
}

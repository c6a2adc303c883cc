import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// An `AF_NETLINK`/`NETLINK_ROUTE` socket: sends a request and collects the kernel's answer
/// (an ack, or the messages of a dump), checking sequence numbers. The socket belongs to the
/// network namespace of the thread that opened it.
final class NetlinkSocket {
    private let fd: Int32
    private var sequence: UInt32 = 1
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init() throws(HostNetError) {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NL.route)
        guard fd >= 0 else { throw HostNetError(.kernel, "open a netlink socket", errno: Errno(rawValue: errno)) }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
            }
        }
        guard bound == 0 else {
            let error = Errno(rawValue: errno)
            close(fd)
            throw HostNetError(.kernel, "bind a netlink socket", errno: error)
        }
    }

    deinit { close(fd) }

    /// Sends `message` with NLM_F_ACK and waits for the ack; a kernel error becomes a
    /// ``HostNetError`` naming `operation`.
    func request(_ message: NetlinkMessage, _ operation: String) throws(HostNetError) {
        _ = try exchange(message, operation, dump: false)
    }

    /// Sends a dump request and returns each answer message's type and payload (after nlmsghdr).
    func dump(_ message: NetlinkMessage, _ operation: String) throws(HostNetError) -> [(UInt16, ArraySlice<UInt8>)] {
        try exchange(message, operation, dump: true)
    }

    private func exchange(
        _ message: NetlinkMessage, _ operation: String, dump: Bool
    ) throws(HostNetError) -> [(UInt16, ArraySlice<UInt8>)] {
        sequence &+= 1
        let seq = sequence
        let bytes = message.finished(sequence: seq)
        let sent = bytes.withUnsafeBytes { raw in retrying { send(fd, raw.baseAddress, raw.count, 0) } }
        guard sent == bytes.count else { throw HostNetError(.kernel, operation, errno: Errno(rawValue: errno)) }
        var messages: [(UInt16, ArraySlice<UInt8>)] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in retrying { recv(fd, raw.baseAddress, raw.count, 0) } }
            guard count > 0 else { throw HostNetError(.kernel, operation, errno: Errno(rawValue: errno)) }
            var offset = 0
            let received = buffer[0..<count]
            while offset + 16 <= count {
                let length = Int(NetlinkMessage.get(received, offset, as: UInt32.self))
                let type = NetlinkMessage.get(received, offset + 4, as: UInt16.self)
                let messageSequence = NetlinkMessage.get(received, offset + 8, as: UInt32.self)
                guard length >= 16, offset + length <= count else { break }
                defer { offset += (length + 3) & ~3 }
                guard messageSequence == seq else { continue }  // a late answer to an earlier request
                let payload = received[(offset + 16)..<(offset + length)]
                switch type {
                case NL.error:
                    let code = NetlinkMessage.get(payload, 0, as: Int32.self)
                    if code == 0 { return messages }  // the ack
                    throw HostNetError(.kernel, operation, errno: Errno(rawValue: -code))
                case NL.done:
                    return messages
                default:
                    messages.append((type, Array(payload)[...]))
                    if !dump { continue }
                }
            }
        }
    }

    private func retrying(_ call: () -> Int) -> Int {
        while true {
            let result = call()
            if result < 0 && errno == EINTR { continue }
            return result
        }
    }
}

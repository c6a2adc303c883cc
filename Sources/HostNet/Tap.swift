import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A tap device opened on `/dev/net/tun`: its name and the fds that keep it alive (one per
/// queue). Not persistent: it disappears when the last fd closes, so a tap cannot outlive the
/// qemu that holds it. The fds are close-on-exec; hand them to a child on purpose with
/// ``inheritable()``. Closed on ``close()`` or when the value is released.
///
/// The tap is made in the network namespace of the calling thread.
public final class Tap {
    /// The interface name, as the kernel has it (`tapN` when the kernel picked it).
    public let name: String
    /// One fd per queue, close-on-exec. Empty after ``close()``.
    public private(set) var fds: [FileDescriptor]
    /// Whether IFF_VNET_HDR is set (only when the caller allowed it and the kernel offers it).
    public let vnetHeader: Bool
    /// Whether the tap was made with IFF_MULTI_QUEUE (more than one queue asked for).
    public let multiQueue: Bool

    // linux/if_tun.h, the same on every architecture.
    static let tapFlag: Int16 = 0x0002  // IFF_TAP
    static let noPI: Int16 = 0x1000  // IFF_NO_PI
    static let vnetHeaderFlag: Int16 = 0x4000  // IFF_VNET_HDR
    static let multiQueueFlag: Int16 = 0x0100  // IFF_MULTI_QUEUE
    /// The kernel's limit on queues of one tun device (MAX_TAP_QUEUES).
    public static let maximumQueues = 256

    private init(name: String, fds: [FileDescriptor], vnetHeader: Bool, multiQueue: Bool) {
        self.name = name
        self.fds = fds
        self.vnetHeader = vnetHeader
        self.multiQueue = multiQueue
    }

    deinit { close() }

    /// Creates a tap (IFF_TAP | IFF_NO_PI).
    ///
    /// - Parameters:
    ///   - name: The interface name, or nil to let the kernel pick `tapN`. A name that is already
    ///     a persistent tap with the same flags attaches to it, as TUNSETIFF does.
    ///   - allowed: Whether IFF_VNET_HDR may be set; it is set only when TUNGETFEATURES also
    ///     reports it. ``vnetHeader`` says what was done.
    ///   - queues: Above 1, IFF_MULTI_QUEUE with one fd per queue on the same name (the first
    ///     TUNSETIFF names the tap, the others attach to it).
    /// - Throws: `.invalid` for a bad name or queue count, `.unsupported` for several queues on a
    ///   kernel without IFF_MULTI_QUEUE, `.kernel` for what the kernel refuses (EBUSY for a name in
    ///   use by another device or holder, EPERM without CAP_NET_ADMIN).
    public static func create(
        name: String? = nil, vnetHeader allowed: Bool, queues: Int = 1
    ) throws(HostNetError) -> Tap {
        let operation = "create tap \(name ?? "")"
        if let name { try InterfaceName.check(name, operation) }
        guard (1...maximumQueues).contains(queues) else {
            throw HostNetError(.invalid, operation, detail: "queues must be 1-\(maximumQueues)")
        }
        var fds: [FileDescriptor] = []
        do throws(HostNetError) {
            let first = try open(operation)
            fds.append(first)
            let features = try features(first, operation)
            var flags = tapFlag | noPI
            let vnet = allowed && features & UInt32(UInt16(bitPattern: vnetHeaderFlag)) != 0
            if vnet { flags |= vnetHeaderFlag }
            if queues > 1 {
                guard features & UInt32(UInt16(bitPattern: multiQueueFlag)) != 0 else {
                    throw HostNetError(.unsupported, operation, detail: "this kernel's tun driver has no multiqueue")
                }
                flags |= multiQueueFlag
            }
            var buffer = [CChar](repeating: 0, count: Int(IFNAMSIZ))
            if let name { for (i, byte) in name.utf8.enumerated() { buffer[i] = CChar(bitPattern: byte) } }
            _ = try Syscall.check(operation, detail: "TUNSETIFF") { clinux_tun_set(first.rawValue, &buffer, flags) }
            let actual = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            for _ in 1..<queues {
                let fd = try open(operation)
                fds.append(fd)
                var again = buffer
                _ = try Syscall.check("attach a queue to tap \(actual)", detail: "TUNSETIFF") {
                    clinux_tun_set(fd.rawValue, &again, flags)
                }
            }
            return Tap(name: actual, fds: fds, vnetHeader: vnet, multiQueue: queues > 1)
        } catch {
            for fd in fds { try? fd.close() }
            throw error
        }
    }

    /// The IFF_* flags this kernel's tun driver supports (TUNGETFEATURES), e.g. to say ahead
    /// whether vnet headers or multiqueue are available.
    public static func kernelFeatures() throws(HostNetError) -> UInt32 {
        let fd = try open("probe tun features")
        defer { try? fd.close() }
        return try features(fd, "probe tun features")
    }

    private static func features(_ fd: FileDescriptor, _ operation: String) throws(HostNetError) -> UInt32 {
        var features: UInt32 = 0
        _ = try Syscall.check(operation, detail: "TUNGETFEATURES") { clinux_tun_features(fd.rawValue, &features) }
        return features
    }

    private static func open(_ operation: String) throws(HostNetError) -> FileDescriptor {
        do {
            // FileDescriptor.open retries EINTR and reports the errno, as Syscall does.
            return try FileDescriptor.open("/dev/net/tun", .readWrite, options: [.closeOnExec])
        } catch {
            throw HostNetError(.kernel, operation, detail: "open /dev/net/tun", errno: error as? Errno)
        }
    }

    /// Clears close-on-exec on the fds, for handing them to a child (qemu) on purpose; returns
    /// their numbers. Only for a child started right after: any other child forked meanwhile by
    /// any thread would inherit them too, and then the tap outlives its qemu.
    public func inheritable() throws(HostNetError) -> [Int32] {
        for fd in fds {
            _ = try Syscall.check("hand tap \(name) to a child", detail: "F_SETFD") { fcntl(fd.rawValue, F_SETFD, 0) }
        }
        return fds.map(\.rawValue)
    }

    /// Closes the fds; the tap goes away with the last one (unless someone made it persistent).
    public func close() {
        for fd in fds { try? fd.close() }
        fds = []
    }

    /// Deletes a tap by name with RTM_DELLINK: one made persistent by someone else (`ip tuntap
    /// add`), or one still listed after its holder went away. Only tun/tap links are deleted.
    /// - Throws: `.notFound` when there is no such link, `.invalid` when it is not a tun/tap.
    public static func delete(_ name: String) throws(HostNetError) {
        let operation = "delete tap \(name)"
        try InterfaceName.check(name, operation)
        let host = try LinuxHost()
        guard let link = try host.fetchLink(name: name, operation) else {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
        guard link.state.kind == "tun" else {
            throw HostNetError(.invalid, operation, detail: "\(name) is a \(link.state.kind ?? "device"), not a tap")
        }
        // By index, so a link renamed since the look-up is not the one deleted.
        let message = NetlinkMessage(
            type: NL.delLink, flags: NL.request | NL.ack, header: NetlinkMessage.linkHeader(index: link.state.index))
        do {
            try host.netlink.request(message, operation)
        } catch let error where error.errno == .operationNotSupportedByDevice {
            throw HostNetError(.notFound, operation, detail: "no link \(name)")
        }
    }
}

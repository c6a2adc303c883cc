import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A tap device opened on `/dev/net/tun`: its name and the fds that keep it alive (one per
/// queue). Not persistent: it disappears when the last fd closes, so a tap cannot outlive the
/// qemu that holds it. The fds are close-on-exec; hand them to a child on purpose with
/// ``inheritable()``.
public final class Tap {
    public let name: String
    public private(set) var fds: [FileDescriptor]
    /// Whether IFF_VNET_HDR is set (only when the caller allowed it and the kernel offers it).
    public let vnetHeader: Bool
    public let multiQueue: Bool

    private static let tapFlag: Int16 = 0x0002  // IFF_TAP
    private static let noPI: Int16 = 0x1000  // IFF_NO_PI
    private static let vnetHeaderFlag: Int16 = 0x4000  // IFF_VNET_HDR
    private static let multiQueueFlag: Int16 = 0x0100  // IFF_MULTI_QUEUE

    private init(name: String, fds: [FileDescriptor], vnetHeader: Bool, multiQueue: Bool) {
        self.name = name
        self.fds = fds
        self.vnetHeader = vnetHeader
        self.multiQueue = multiQueue
    }

    deinit { close() }

    /// Creates a tap. `name` nil lets the kernel pick (`tapN`); `queues` above 1 opens one fd per
    /// queue with IFF_MULTI_QUEUE.
    public static func create(
        name: String? = nil, vnetHeader allowed: Bool, queues: Int = 1
    ) throws(HostNetError) -> Tap {
        let operation = "create tap \(name ?? "")"
        if let name { try InterfaceName.check(name, operation) }
        guard (1...256).contains(queues) else {
            throw HostNetError(.invalid, operation, detail: "queues must be 1-256")
        }
        var fds: [FileDescriptor] = []
        do throws(HostNetError) {
            let first = try open()
            fds.append(first)
            var features: UInt32 = 0
            guard clinux_tun_features(first.rawValue, &features) == 0 else {
                throw HostNetError(.kernel, operation, detail: "TUNGETFEATURES", errno: Errno(rawValue: errno))
            }
            var flags = tapFlag | noPI
            let vnet = allowed && features & UInt32(UInt16(vnetHeaderFlag)) != 0
            if vnet { flags |= vnetHeaderFlag }
            if queues > 1 {
                guard features & UInt32(UInt16(multiQueueFlag)) != 0 else {
                    throw HostNetError(.unsupported, operation, detail: "this kernel's tun driver has no multiqueue")
                }
                flags |= multiQueueFlag
            }
            var buffer = [CChar](repeating: 0, count: Int(IFNAMSIZ))
            if let name { for (i, byte) in name.utf8.enumerated() { buffer[i] = CChar(bitPattern: byte) } }
            guard clinux_tun_set(first.rawValue, &buffer, flags) == 0 else {
                throw HostNetError(.kernel, operation, detail: "TUNSETIFF", errno: Errno(rawValue: errno))
            }
            let actual = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            for _ in 1..<queues {
                let fd = try open()
                fds.append(fd)
                var again = buffer
                guard clinux_tun_set(fd.rawValue, &again, flags) == 0 else {
                    throw HostNetError(
                        .kernel, "attach queue to tap \(actual)", detail: "TUNSETIFF", errno: Errno(rawValue: errno))
                }
            }
            return Tap(name: actual, fds: fds, vnetHeader: vnet, multiQueue: queues > 1)
        } catch {
            for fd in fds { try? fd.close() }
            throw error
        }
    }

    private static func open() throws(HostNetError) -> FileDescriptor {
        do {
            return try FileDescriptor.open("/dev/net/tun", .readWrite, options: [.closeOnExec])
        } catch {
            throw HostNetError(.kernel, "open /dev/net/tun", errno: error as? Errno)
        }
    }

    /// Clears close-on-exec on the fds, for handing them to a child (qemu) on purpose; returns
    /// their numbers.
    public func inheritable() throws(HostNetError) -> [Int32] {
        for fd in fds where fcntl(fd.rawValue, F_SETFD, 0) != 0 {
            throw HostNetError(.kernel, "hand tap \(name) to a child", errno: Errno(rawValue: errno))
        }
        return fds.map(\.rawValue)
    }

    /// Closes the fds; the tap goes away with the last one.
    public func close() {
        for fd in fds { try? fd.close() }
        fds = []
    }
}

/// The file descriptor numbers a NIC is handed to qemu with: one per tap queue, and one
/// `/dev/vhost-net` fd per queue when vhost is on.
public struct TapHandles: Sendable, Hashable {
    public var fds: [Int32]
    public var vhostFds: [Int32]

    public init(fds: [Int32], vhostFds: [Int32] = []) {
        self.fds = fds
        self.vhostFds = vhostFds
    }
}

/// What a start adds to the saved runtime on this node (Ganeti's execution phase): not part of
/// the runtime, because a soft reboot or a migration target decides them anew.
public struct ExecutionOptions: Sendable, Hashable {
    /// The tap fds of each NIC, in the runtime's NIC order.
    public var taps: [TapHandles]
    /// Start with the CPUs stopped (`-S`); the node sends `cont` once everything is in place.
    public var stopped: Bool
    /// The user qemu drops to (security models user and pool).
    public var user: String?
    /// The empty directory qemu chroots into (`use_chroot`).
    public var chroot: String?
    /// `-incoming URI` for a migration target.
    public var incoming: String?

    public init(
        taps: [TapHandles], stopped: Bool = true, user: String? = nil, chroot: String? = nil, incoming: String? = nil
    ) {
        self.taps = taps
        self.stopped = stopped
        self.user = user
        self.chroot = chroot
        self.incoming = incoming
    }
}

/// A disk of an instance: Ganeti's serialized disk plus what the node gave for it (the path
/// of its block device or file, and for userspace access its URI).
public struct DiskSpec: Sendable, Hashable, Codable {
    public var uuid: String
    public var name: String?
    /// Size in MiB (informational; qemu takes the size from the device).
    public var size: Int?
    /// `rw` or `ro`.
    public var mode: String
    /// Ganeti's `dev_type` (`plain`, `drbd`, `file`, `rbd`, ...), if given.
    public var devType: String?
    /// The block device or file on the node (Ganeti's "link").
    public var path: String
    /// For userspace access: `rbd:pool/image[:id=user]` or `gluster://host[:port]/volume/path`.
    public var uri: String?
    /// Placement in the guest, assigned by planning.
    public var hvinfo: DeviceInfo?

    enum CodingKeys: String, CodingKey {
        case uuid, name, size, mode, path, uri, hvinfo
        case devType = "dev_type"
    }
}

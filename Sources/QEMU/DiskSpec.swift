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

    /// Creates a disk (specs are normally read with ``InstanceSpec/parse(_:)``, which checks them).
    public init(
        uuid: String, name: String? = nil, size: Int? = nil, mode: String = "rw", devType: String? = nil,
        path: String, uri: String? = nil, hvinfo: DeviceInfo? = nil
    ) {
        self.uuid = uuid
        self.name = name
        self.size = size
        self.mode = mode
        self.devType = devType
        self.path = path
        self.uri = uri
        self.hvinfo = hvinfo
    }

    enum CodingKeys: String, CodingKey {
        case uuid, name, size, mode, path, uri, hvinfo
        case devType = "dev_type"
    }
}

/// A NIC of an instance, in the shape of Ganeti's serialized NIC.
public struct NICSpec: Sendable, Hashable, Codable {
    /// The MAC address, lower case.
    public var mac: String
    /// The NIC's IP address (routed mode needs it).
    public var ip: String?
    public var uuid: String
    public var name: String?
    /// `bridged`, `routed`, `openvswitch` or `ext`.
    public var mode: String
    /// The bridge, routing table or OVS switch, by mode.
    public var link: String?
    /// The VLAN notation as given (`.100`, `:10:20`, `.100:200`), nil when the key was absent.
    public var vlan: String?
    /// The network (uuid or name) the NIC is connected to, if any.
    public var network: String?
    /// That network as Ganeti hands it to the node (`netinfo`), when the spec gives it.
    public var netinfo: NetworkInfo?
    /// Placement in the guest, assigned by planning.
    public var hvinfo: DeviceInfo?

    static let modes = ["bridged", "routed", "openvswitch", "ext"]

    /// Creates a NIC (specs are normally read with ``InstanceSpec/parse(_:)``, which checks them).
    public init(
        mac: String, ip: String? = nil, uuid: String, name: String? = nil, mode: String, link: String? = nil,
        vlan: String? = nil, network: String? = nil, netinfo: NetworkInfo? = nil, hvinfo: DeviceInfo? = nil
    ) {
        self.mac = mac
        self.ip = ip
        self.uuid = uuid
        self.name = name
        self.mode = mode
        self.link = link
        self.vlan = vlan
        self.network = network
        self.netinfo = netinfo
        self.hvinfo = hvinfo
    }

    /// The parsed VLAN (checked when the spec was read).
    public var parsedVLAN: VLAN? { vlan.flatMap { try? VLAN.parse($0) } }
}

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
    /// Placement in the guest, assigned by planning.
    public var hvinfo: DeviceInfo?

    static let modes = ["bridged", "routed", "openvswitch", "ext"]

    /// The parsed VLAN (checked when the spec was read).
    public var parsedVLAN: VLAN? { vlan.flatMap { try? VLAN.parse($0) } }
}

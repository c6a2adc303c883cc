/// Where a disk or NIC sits in the guest (Ganeti's `hvinfo`): its qemu id, driver and bus
/// address. Kept in the runtime so that hot-plug and migration target the same slots.
public struct DeviceInfo: Sendable, Hashable, Codable {
    /// The qemu device id (`nic-003fc157-66a8-4e6d`), also the netdev / node name.
    public var id: String
    /// The qemu device driver (`virtio-net-pci`).
    public var driver: String
    /// `pci.0`, `scsi.0`, or nil for devices on no addressed bus (IDE, ISA).
    public var bus: String?
    /// The PCI slot as Ganeti writes it (`0xc`).
    public var addr: String?
    /// SCSI channel, id and lun.
    public var channel: Int?
    public var scsiID: Int?
    public var lun: Int?

    enum CodingKeys: String, CodingKey {
        case id, driver, bus, addr, channel, lun
        case scsiID = "scsi-id"
    }

    /// The `-device` properties that place it: `bus=pci.0,addr=0xc` or the SCSI triple.
    public var placement: [String] {
        var parts: [String] = []
        if let bus { parts.append("bus=\(bus)") }
        if let addr { parts.append("addr=\(addr)") }
        if let channel { parts.append("channel=\(channel)") }
        if let scsiID { parts.append("scsi-id=\(scsiID)") }
        if let lun { parts.append("lun=\(lun)") }
        return parts
    }

    /// Ganeti's device id: the kind and the uuid up to its third dash.
    public static func id(kind: String, uuid: String) -> String {
        let parts = uuid.split(separator: "-", omittingEmptySubsequences: false)
        return "\(kind)-" + (parts.count > 2 ? parts.dropLast(2).joined(separator: "-") : uuid)
    }
}

/// Which qemu device drivers parameters map to, and which of them sit on the PCI bus.
public enum QemuDevices {
    /// The driver for a `nic_type`.
    public static func nicDriver(_ nicType: String) -> String {
        nicType == "paravirtual" ? "virtio-net-pci" : nicType
    }

    /// The driver for a `disk_type`.
    public static func diskDriver(_ diskType: String) -> String {
        switch diskType {
        case "paravirtual": "virtio-blk-pci"
        case "ide": "ide-hd"
        default: diskType
        }
    }

    /// The driver for a cdrom of `cdrom_disk_type` (already checked to be one that can be).
    public static func cdromDriver(_ type: String) -> String {
        switch type {
        case "paravirtual": "virtio-blk-pci"
        case "ide", "": "ide-cd"
        default: "scsi-cd"
        }
    }

    /// Whether the device sits on the PCI bus and so takes a slot (Ganeti gave every device
    /// one, ISA NICs and IDE disks included; qemu refuses those).
    public static func isPCI(_ driver: String) -> Bool {
        driver.hasSuffix("-pci")
            || ["e1000", "rtl8139", "ne2k_pci", "i82551", "i82557b", "i82559er", "pcnet"].contains(driver)
    }

    /// Whether the device sits on the SCSI bus.
    public static func isSCSI(_ driver: String) -> Bool { HVCatalog.scsiDiskTypes.contains(driver) }
}

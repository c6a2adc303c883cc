/// Hands out guest bus addresses as Ganeti does: PCI slots from `kvm_pci_reservations` up to
/// 31 (the first slots are left to qemu's own devices), SCSI ids 0 to 15.
struct DeviceAllocator {
    private var nextPCI: Int
    private var nextSCSI = 0

    init(pciReservations: Int) { nextPCI = pciReservations }

    /// Placement for one device of `driver` with Ganeti's id for `kind` and `uuid`.
    mutating func place(kind: String, uuid: String, driver: String) throws(SpecError) -> DeviceInfo {
        let id = DeviceInfo.id(kind: kind, uuid: uuid)
        if QemuDevices.isSCSI(driver) {
            guard nextSCSI <= 15 else { throw SpecError("disks", "more than 16 SCSI disks") }
            defer { nextSCSI += 1 }
            return DeviceInfo(id: id, driver: driver, bus: "scsi.0", addr: nil, channel: 0, scsiID: nextSCSI, lun: 0)
        }
        if QemuDevices.isPCI(driver) {
            guard nextPCI <= 31 else {
                throw SpecError(
                    "hvparams.kvm_pci_reservations",
                    "no PCI slot left for \(id) (slots \(nextPCI) and up are all taken)")
            }
            defer { nextPCI += 1 }
            return DeviceInfo(id: id, driver: driver, bus: "pci.0", addr: "0x" + String(nextPCI, radix: 16))
        }
        return DeviceInfo(id: id, driver: driver)
    }
}

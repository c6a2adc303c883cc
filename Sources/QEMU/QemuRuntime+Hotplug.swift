/// Hot-plug planning: where a NIC added to a running instance goes, and the QMP arguments that
/// put it there and take it out. Pure: the node opens the taps and talks to qemu.
extension QemuRuntime {
    /// The NIC placed as the last of the runtime's NICs: its driver is the instance's `nic_type`,
    /// its slot the lowest PCI slot from `kvm_pci_reservations` up that no device of the runtime
    /// holds and qemu does not report taken (`taken`, from `query-pci`). Refused, naming the
    /// field: a `nic_type` that sits on no PCI bus (qemu cannot hot-plug it), a MAC another NIC
    /// has, a uuid whose device id another device has, no slot left.
    public mutating func addNIC(_ nic: NICSpec, takenSlots taken: Set<Int>) throws(SpecError) -> NICSpec {
        let driver = QemuDevices.nicDriver(hvparams.string("nic_type"))
        guard QemuDevices.isPCI(driver) else {
            throw SpecError(
                "hvparams.nic_type", "\(hvparams.string("nic_type")) NICs sit on no PCI bus and cannot be hot-plugged")
        }
        if let other = nics.firstIndex(where: { $0.mac == nic.mac }) {
            throw SpecError("nic.mac", "\(nic.mac) is the MAC of NIC \(other) already")
        }
        let id = try newID("nic", uuid: nic.uuid)
        var placed = nic
        placed.hvinfo = DeviceInfo(
            id: id, driver: driver, bus: "pci.0", addr: "0x" + String(try freeSlot(taken), radix: 16))
        nics.append(placed)
        return placed
    }

    /// The NIC at `index` taken out of the runtime.
    public mutating func removeNIC(at index: Int) throws(SpecError) -> NICSpec {
        guard nics.indices.contains(index) else {
            throw SpecError("index", "the instance has no NIC \(index) (it has \(nics.count))")
        }
        return nics.remove(at: index)
    }

    /// The disk placed as the last of the runtime's disks, as ``addNIC(_:takenSlots:)`` places a
    /// NIC: its driver is the instance's `disk_type`, on the lowest free PCI slot, or for a SCSI
    /// type the lowest free SCSI id on the controller the instance started with. Refused, naming
    /// the field: an IDE type (qemu cannot hot-plug it), SCSI with no controller, a path or uuid
    /// another disk has.
    public mutating func addDisk(_ disk: DiskSpec, takenSlots taken: Set<Int>) throws(SpecError) -> DiskSpec {
        let type = hvparams.string("disk_type")
        let driver = QemuDevices.diskDriver(type)
        if let other = disks.firstIndex(where: { $0.path == disk.path && disk.uri == nil && $0.uri == nil }) {
            throw SpecError("disk.path", "\(disk.path) is disk \(other)'s already")
        }
        let id = try newID("disk", uuid: disk.uuid)
        var placed = disk
        if QemuDevices.isSCSI(driver) {
            guard argv.contains(where: { $0.hasSuffix(",id=scsi") }) else {
                throw SpecError(
                    "hvparams.disk_type",
                    "\(type) disks need the SCSI controller, which an instance started with none lacks")
            }
            let held = Set(disks.compactMap { $0.hvinfo?.bus == "scsi.0" ? $0.hvinfo?.scsiID : nil })
            guard let free = (0...15).first(where: { !held.contains($0) }) else {
                throw SpecError("disk", "no SCSI id left (0 to 15 are all taken)")
            }
            placed.hvinfo = DeviceInfo(
                id: id, driver: driver, bus: "scsi.0", addr: nil, channel: 0, scsiID: free, lun: 0)
        } else if QemuDevices.isPCI(driver) {
            placed.hvinfo = DeviceInfo(
                id: id, driver: driver, bus: "pci.0", addr: "0x" + String(try freeSlot(taken), radix: 16))
        } else {
            throw SpecError("hvparams.disk_type", "\(type) disks sit on no PCI or SCSI bus and cannot be hot-plugged")
        }
        disks.append(placed)
        return placed
    }

    /// The disk at `index` taken out of the runtime.
    public mutating func removeDisk(at index: Int) throws(SpecError) -> DiskSpec {
        guard disks.indices.contains(index) else {
            throw SpecError("index", "the instance has no disk \(index) (it has \(disks.count))")
        }
        return disks.remove(at: index)
    }

    /// `blockdev-add`'s and `device_add`'s arguments for disk `index`: what a start gives it on
    /// the command line, with the file opened as `filename` where the node passed qemu its fd
    /// (`/dev/fdset/N`).
    public func hotplugArguments(
        disk index: Int, features: QemuFeatures, filename: String?
    ) throws(SpecError) -> (blockdev: [String: JSONValue], device: [String: JSONValue]) {
        var options = try DiskOptions.of(disks[index], index: index, runtime: self, features: features)
        if let filename, let at = options.blockdev.firstIndex(where: { $0.key == "file.filename" }) {
            options.blockdev[at].value = .string(filename)
        }
        return options.qmp
    }

    /// Whether qemu's cache for disks bypasses the host's page cache (`disk_cache=none`): the
    /// node then opens a hot-added disk with `O_DIRECT`, as qemu would.
    public var disksBypassTheCache: Bool { CacheSettings(hvparams.string("disk_cache")).direct }

    /// The lowest PCI slot no device of the runtime and nothing in `taken` holds.
    private func freeSlot(_ taken: Set<Int>) throws(SpecError) -> Int {
        let held = Set(devices.compactMap { $0.info.addr.flatMap { Int($0.dropFirst(2), radix: 16) } }).union(taken)
        let first = hvparams.int("kvm_pci_reservations")
        guard let slot = (first...max(first, 31)).first(where: { !held.contains($0) && $0 <= 31 }) else {
            throw SpecError("hvparams.kvm_pci_reservations", "no PCI slot left (slots \(first) to 31 are all taken)")
        }
        return slot
    }

    /// The device id of a new `kind` device with `uuid`, refused where another device has it
    /// (Ganeti's ids keep only the uuid's first three groups).
    private func newID(_ kind: String, uuid: String) throws(SpecError) -> String {
        let id = DeviceInfo.id(kind: kind, uuid: uuid)
        if let other = devices.first(where: { $0.info.id == id }) {
            throw SpecError("\(kind).uuid", "gives the device id \(id), which \(other.field) has already")
        }
        return id
    }

    /// Every placed device with the field that names it.
    private var devices: [(field: String, info: DeviceInfo)] {
        disks.enumerated().compactMap { item in item.element.hvinfo.map { ("disks[\(item.offset)]", $0) } }
            + nics.enumerated().compactMap { item in item.element.hvinfo.map { ("nics[\(item.offset)]", $0) } }
    }

    /// How many queues the tap of `nic` has: `virtio_net_queues` for a virtio NIC, else one.
    public func queues(_ nic: NICSpec) -> Int {
        nic.hvinfo?.driver.hasPrefix("virtio-net") ?? false ? hvparams.int("virtio_net_queues") : 1
    }

    /// The names qemu's `getfd` gives a hot-plugged NIC's tap queues (and vhost fds), Ganeti's:
    /// `<id>-<i>` and `<id>-vhost-<i>`.
    public static func fdNames(_ nic: NICSpec, queues: Int, vhost: Bool) -> (taps: [String], vhost: [String]) {
        let id = nic.hvinfo?.id ?? ""
        return ((0..<queues).map { "\(id)-\($0)" }, vhost ? (0..<queues).map { "\(id)-vhost-\($0)" } : [])
    }

    /// `netdev_add`'s and `device_add`'s arguments for a NIC whose fds qemu got by `getfd`
    /// under ``fdNames(_:queues:vhost:)``: the same netdev and device a start gives it on the
    /// command line, and `romfile=""` in a chroot (where qemu cannot read its option ROM).
    public func hotplugArguments(
        _ nic: NICSpec, queues: Int, vhost: Bool, chrooted: Bool
    ) throws(SpecError) -> (netdev: [String: JSONValue], device: [String: JSONValue]) {
        guard let info = nic.hvinfo else { throw SpecError("nic", "has no device placement (hvinfo)") }
        let names = Self.fdNames(nic, queues: queues, vhost: vhost)
        var netdev: [String: JSONValue] = ["type": .string("tap"), "id": .string(info.id)]
        if queues == 1 {
            netdev["fd"] = .string(names.taps[0])
        } else {
            netdev["fds"] = .string(names.taps.joined(separator: ":"))
        }
        if vhost {
            netdev["vhost"] = .bool(true)
            netdev[queues == 1 ? "vhostfd" : "vhostfds"] = .string(names.vhost.joined(separator: ":"))
        }
        var device: [String: JSONValue] = [
            "driver": .string(info.driver), "id": .string(info.id), "netdev": .string(info.id),
            "mac": .string(nic.mac),
        ]
        if let bus = info.bus { device["bus"] = .string(bus) }
        if let addr = info.addr { device["addr"] = .string(addr) }
        if queues > 1 {
            guard info.driver.hasPrefix("virtio-net") else {
                throw SpecError("nic", "\(queues) queues need a virtio NIC, not \(info.driver)")
            }
            device["mq"] = .bool(true)
            device["vectors"] = .int(Int64(2 * queues + 2))
        }
        if chrooted { device["romfile"] = .string("") }
        return (netdev, device)
    }
}

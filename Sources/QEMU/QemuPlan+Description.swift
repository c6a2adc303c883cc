/// The plan as `taphouse plan --json` and `POST /v1/plan` show it.
extension QemuPlan {
    /// argv, qemu's version and default machine, the NICs and disks with their device ids and
    /// slots, and the runtime a start would save.
    public func description(features: QemuFeatures) -> JSONValue {
        .object([
            "argv": .array(argv.map(JSONValue.string)),
            "qemu_version": .array(features.version.array.map { .int(Int64($0)) }),
            "machine": .string(features.defaultMachine ?? ""),
            "nics": .array(runtime.nics.enumerated().map { Self.describe(nic: $0.element, index: $0.offset) }),
            "runtime": (try? JSONValue.parse(runtime.serialized())) ?? .null,
            "disks": .array(runtime.disks.enumerated().map { Self.describe(disk: $0.element, index: $0.offset) }),
        ])
    }

    static func describe(nic: NICSpec, index: Int) -> JSONValue {
        var fields: [String: JSONValue] = [
            "index": .int(Int64(index)), "mac": .string(nic.mac), "mode": .string(nic.mode), "uuid": .string(nic.uuid),
        ]
        if let link = nic.link { fields["link"] = .string(link) }
        if let ip = nic.ip { fields["ip"] = .string(ip) }
        if let vlan = nic.vlan { fields["vlan"] = .string(vlan) }
        if let info = nic.hvinfo { fields["device"] = describe(info) }
        return .object(fields)
    }

    static func describe(disk: DiskSpec, index: Int) -> JSONValue {
        var fields: [String: JSONValue] = [
            "index": .int(Int64(index)), "path": .string(disk.path), "mode": .string(disk.mode),
            "uuid": .string(disk.uuid),
        ]
        if let info = disk.hvinfo { fields["device"] = describe(info) }
        return .object(fields)
    }

    static func describe(_ info: DeviceInfo) -> JSONValue {
        var fields: [String: JSONValue] = ["id": .string(info.id), "driver": .string(info.driver)]
        if let bus = info.bus { fields["bus"] = .string(bus) }
        if let addr = info.addr { fields["addr"] = .string(addr) }
        if let id = info.scsiID { fields["scsi-id"] = .int(Int64(id)) }
        return .object(fields)
    }
}

import Foundation

/// The runtime file (`<state>/conf/<instance>.runtime`), Ganeti's 2026 layout
/// `[argv, [nic...], hvparams, [[disk, path, uri]...]]`, so that a Ganeti node and taphouse can
/// read each other's files. Pure: bytes in, bytes out; the caller reads and writes the file.
extension QemuRuntime {
    /// The runtime file's content: compact UTF-8 JSON with sorted keys and a final newline, so the
    /// same runtime always gives the same bytes.
    ///
    /// NIC and disk dicts have the shape of Ganeti's `ToDict()`; optional fields that are nil are
    /// left out (a NIC's `vlan` absent stays absent, `""` is written as `""`). Each disk is the
    /// triple `[disk, path, uri]` with `null` for a disk without URI, as Ganeti writes it.
    /// `hvparams` holds every catalog parameter.
    public func serialized() -> Data {
        Data((json.text() + "\n").utf8)
    }

    /// The runtime as the JSON value `serialized()` writes.
    var json: JSONValue {
        .array([
            .array(argv.map { .string($0) }),
            .array(nics.map(Self.json(nic:))),
            hvparams.json,
            .array(disks.map { .array([Self.json(disk: $0), .string($0.path), $0.uri.map { .string($0) } ?? .null]) }),
        ])
    }

    /// Reads a runtime file written by taphouse, by Ganeti 2012 (`[argv, nics, hvparams]`) or by
    /// Ganeti 2026 (`[argv, nics, hvparams, disks]`), and upgrades Ganeti's older forms the way
    /// Ganeti's `_upgrade_serialized_runtime` does, to every file (Ganeti applied the `-chroot`
    /// and `disk_discard` fix-ups only to runtimes with `-vnc`).
    ///
    /// Lenient where Ganeti's files carry more than taphouse keeps: unknown keys of NIC and disk
    /// dicts are ignored, and hypervisor parameters the catalog does not know are dropped and
    /// listed in `droppedParameters`. Strict on what it reads: a field of the wrong type or with a
    /// value taphouse could not use is refused. Parameters are checked one by one (type, allowed
    /// values, syntax) but the cross-parameter rules are not run: an instance that started with
    /// these parameters keeps them.
    ///
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - name: how refusals name the file: `runtime[1][0].mac: expected a string, got a number`.
    /// - Returns: the runtime with the list of upgrades applied and of parameters dropped.
    /// - Throws: `SpecError` naming the element (`runtime[0][4]`) or field (`runtime[2].nic_type`).
    public static func load(_ bytes: some DataProtocol, name: String = "runtime") throws(SpecError) -> LoadedRuntime {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw SpecError(name, "not valid JSON: \(JSONErrorText.describe(error))")
        }
        return try load(json, name: name)
    }

    /// Reads a runtime from the file's parsed JSON; see `load(_:name:)`.
    static func load(_ json: JSONValue, name: String) throws(SpecError) -> LoadedRuntime {
        guard let top = json.arrayValue else {
            throw SpecError(name, "expected an array [argv, nics, hvparams, disks], got \(json.kind)")
        }
        guard top.count == 3 || top.count == 4 else {
            throw SpecError(
                name, "expected 4 elements [argv, nics, hvparams, disks] (3 for Ganeti 2012), got \(top.count)")
        }
        var upgrades: [String] = []
        let argv = upgradeArgv(try readArgv(top[0], path: "\(name)[0]"), upgrades: &upgrades)
        let (hvparams, dropped) = try readHVParams(top[2], path: "\(name)[2]", upgrades: &upgrades)

        guard let rawNICs = top[1].arrayValue else {
            throw SpecError("\(name)[1]", "expected an array of NICs, got \(top[1].kind)")
        }
        var nics: [NICSpec] = []
        for (index, nic) in rawNICs.enumerated() {
            nics.append(try readNIC(nic, path: "\(name)[1][\(index)]", hvparams: hvparams, upgrades: &upgrades))
        }

        var disks: [DiskSpec] = []
        if top.count == 4 {
            guard let rawDisks = top[3].arrayValue else {
                throw SpecError("\(name)[3]", "expected an array of [disk, path, uri], got \(top[3].kind)")
            }
            for (index, disk) in rawDisks.enumerated() {
                disks.append(try readDisk(disk, path: "\(name)[3][\(index)]", hvparams: hvparams, upgrades: &upgrades))
            }
        } else {
            // Ganeti 2012 put its disks into the saved argv as `-drive`; they stay there.
            upgrades.append("Ganeti 2012 layout without a disk list: no disks added")
        }
        let runtime = QemuRuntime(argv: argv, nics: nics, hvparams: hvparams, disks: disks)
        return LoadedRuntime(runtime: runtime, upgrades: upgrades, droppedParameters: dropped)
    }

    // MARK: - argv

    static func readArgv(_ json: JSONValue, path: String) throws(SpecError) -> [String] {
        guard let elements = json.arrayValue else {
            throw SpecError(path, "expected the qemu command line, an array, got \(json.kind)")
        }
        var argv: [String] = []
        for (index, element) in elements.enumerated() {
            switch element {
            case .string(let s): argv.append(s)
            // Ganeti put numbers such as the memory size into its command list as they were and
            // made them text (Python's str) only when it ran qemu.
            case .int(let n): argv.append(String(n))
            case .double(let d): argv.append(Int64(exactly: d).map { String($0) } ?? String(d))
            default: throw SpecError("\(path)[\(index)]", "expected a string or a number, got \(element.kind)")
            }
        }
        return argv
    }

    /// Rewrites options that current qemu no longer takes into their replacements (Ganeti's
    /// upgrades of the command line), noting each change in `upgrades`.
    static func upgradeArgv(_ argv: [String], upgrades: inout [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < argv.count {
            let option = argv[index]
            let value = index + 1 < argv.count ? argv[index + 1] : nil
            switch (option, value) {
            case ("-localtime", _):
                result += ["-rtc", "base=localtime"]
                upgrades.append("-localtime -> -rtc base=localtime")
                index += 1
            case ("-balloon", let value?) where value == "virtio" || value.hasPrefix("virtio,"):
                let device = "virtio-balloon" + value.dropFirst("virtio".count)
                result += ["-device", device]
                upgrades.append("-balloon \(value) -> -device \(device)")
                index += 2
            case ("-balloon", "none"?):
                // Ganeti never wrote it, and would have turned it into a balloon device.
                upgrades.append("-balloon none removed")
                index += 2
            case ("-chroot", let value):
                // Execution adds the chroot again from use_chroot (as `-run-with chroot=` where qemu
                // has it); keeping the saved one would give qemu both.
                upgrades.append("-chroot \(value ?? "") removed (added again at start when use_chroot is set)")
                index += value == nil ? 1 : 2
            case ("-vnc", let value?):
                if let upgraded = upgradeVNC(value) {
                    result += ["-object", upgraded.object, "-vnc", upgraded.vnc]
                    upgrades.append("-vnc \(value) -> -object \(upgraded.object) -vnc \(upgraded.vnc)")
                } else {
                    result += [option, value]
                }
                index += 2
            default:
                result.append(option)
                index += 1
            }
        }
        return result
    }

    /// The `-object` and new `-vnc` value for a `-vnc` value with the TLS options qemu dropped in
    /// 2.x (`tls`, `x509=DIR`, `x509verify=DIR`), or nil when it has none.
    static func upgradeVNC(_ value: String) -> (object: String, vnc: String)? {
        var kept: [Substring] = []
        var hasTLS = false
        var x509: (dir: Substring, verify: Bool)?
        for part in value.split(separator: ",", omittingEmptySubsequences: false) {
            if part.hasPrefix("x509verify=") || part.hasPrefix("x509=") {
                x509 = (part.drop(while: { $0 != "=" }).dropFirst(), part.hasPrefix("x509verify="))
            } else if part != "tls" {
                kept.append(part)
                continue
            }
            // The credentials take the place of the first TLS option. Ganeti added them only for
            // `tls`; an x509 option without it gets them too, or qemu would ignore the object.
            if !hasTLS {
                hasTLS = true
                kept.append("tls-creds=vnctls0")
            }
        }
        guard hasTLS else { return nil }
        // Ganeti let a `tls` after the x509 option turn the object anonymous and keep the
        // directory; the x509 option wins here whatever the order.
        let object =
            if let x509 {
                "tls-creds-x509,id=vnctls0,endpoint=server,dir=\(x509.dir),verify-peer=\(x509.verify ? "yes" : "no")"
            } else {
                "tls-creds-anon,id=vnctls0,endpoint=server"
            }
        return (object, kept.joined(separator: ","))
    }

    // MARK: - hvparams

    /// Ganeti's `FillDict(defaults, saved)`: catalog defaults for what the file lacks, each saved
    /// value checked on its own, unknown names dropped (returned sorted).
    static func readHVParams(
        _ json: JSONValue, path: String, upgrades: inout [String]
    ) throws(SpecError) -> (HVParams, dropped: [String]) {
        guard var given = json.objectValue else {
            throw SpecError(path, "expected the hypervisor parameters, an object, got \(json.kind)")
        }
        // Ganeti 3.1 dropped disk_discard `default`; its upgrade turns any value it does not know
        // into `ignore`, which is what qemu did with `default`.
        let discardValues = HVCatalog.parameter("disk_discard")?.allowed ?? []
        if let discard = given["disk_discard"], !discardValues.contains(discard.stringValue ?? "") {
            given["disk_discard"] = .string("ignore")
            upgrades.append("hvparam disk_discard \(discard) -> \"ignore\"")
        }
        var values = HVParams.defaults.values
        var dropped: [String] = []
        for key in given.keys.sorted() {
            guard let parameter = HVCatalog.parameter(key), let value = given[key] else {
                dropped.append(key)
                continue
            }
            do {
                values[key] = try parameter.check(value)
            } catch {
                throw SpecError("\(path).\(key)", error.reason)
            }
        }
        let missing = HVCatalog.parameters.map(\.name).filter { given[$0] == nil }
        if !missing.isEmpty {
            upgrades.append("hvparams missing from the file set to their defaults: \(missing.joined(separator: ", "))")
        }
        return (HVParams(values: values), dropped)
    }

    // MARK: - NICs and disks

    static func readNIC(
        _ json: JSONValue, path: String, hvparams: HVParams, upgrades: inout [String]
    ) throws(SpecError) -> NICSpec {
        var r = try FieldReader(json, path: path)
        var nic = try NICSpec.readFields(&r, strictParams: false)
        if nic.uuid.isEmpty {
            // Ganeti before 2.8 had no NIC uuids; device ids are made from them now.
            nic.uuid = UUID().uuidString.lowercased()
            upgrades.append("\(path): NIC without uuid (Ganeti before 2.8) got uuid \(nic.uuid)")
        }
        let driver = QemuDevices.nicDriver(hvparams.string("nic_type"))
        nic.hvinfo = try readPlacement(&r, kind: "nic", uuid: nic.uuid, driver: driver, upgrades: &upgrades)
        return nic
    }

    static func readDisk(
        _ json: JSONValue, path: String, hvparams: HVParams, upgrades: inout [String]
    ) throws(SpecError) -> DiskSpec {
        guard let triple = json.arrayValue, triple.count == 3 else {
            let got = json.arrayValue.map { "\($0.count) elements" } ?? json.kind
            throw SpecError(path, "expected [disk, path, uri], got \(got)")
        }
        var r = try FieldReader(triple[0], path: "\(path)[0]")
        let uuid = try r.requiredString("uuid")
        guard UUIDText.isValid(uuid) else { throw SpecError(r.field("uuid"), "\"\(uuid)\" is not a UUID") }
        let mode = try r.string("mode") ?? "rw"
        guard mode == "rw" || mode == "ro" else { throw SpecError(r.field("mode"), "\"\(mode)\" is not rw or ro") }
        let diskPath: String
        switch triple[1] {
        case .string(let s) where !s.isEmpty: diskPath = s
        case .string: throw SpecError("\(path)[1]", "a value is required")
        default: throw SpecError("\(path)[1]", "expected the disk's path, a string, got \(triple[1].kind)")
        }
        // Not parsed here: Ganeti saved a URI for every disk that had one but used it only with
        // userspace access; planning parses it when it is used.
        let uri: String?
        switch triple[2] {
        case .null: uri = nil
        case .string(let s): uri = s.isEmpty ? nil : s
        default: throw SpecError("\(path)[2]", "expected a storage URI or null, got \(triple[2].kind)")
        }
        let driver = QemuDevices.diskDriver(hvparams.string("disk_type"))
        let hvinfo = try readPlacement(&r, kind: "disk", uuid: uuid, driver: driver, upgrades: &upgrades)
        return DiskSpec(
            uuid: uuid, name: try r.string("name"), size: try r.int("size"), mode: mode,
            devType: try r.string("dev_type"),
            path: diskPath, uri: uri, hvinfo: hvinfo)
    }

    /// The device's `hvinfo`, or one made from the PCI slot Ganeti before 2.16 saved as `pci`
    /// (with the id hot-plug gave the device then, so that later hot-plug finds it).
    static func readPlacement(
        _ r: inout FieldReader, kind: String, uuid: String, driver: String, upgrades: inout [String]
    ) throws(SpecError) -> DeviceInfo? {
        if let json = r.value("hvinfo") { return try readDeviceInfo(json, path: r.field("hvinfo")) }
        guard let slot = try r.int("pci") else { return nil }
        guard (0...31).contains(slot) else { throw SpecError(r.field("pci"), "\(slot) is not a PCI slot (0-31)") }
        let addr = "0x" + String(slot, radix: 16)
        let id = "hot\(kind)-\(uuid.prefix(while: { $0 != "-" }))-pci-\(slot)"
        upgrades.append("\(r.path): legacy pci slot \(slot) -> hvinfo \(driver) \(id) at pci.0 \(addr)")
        return DeviceInfo(id: id, driver: driver, bus: "pci.0", addr: addr)
    }

    static func readDeviceInfo(_ json: JSONValue, path: String) throws(SpecError) -> DeviceInfo? {
        var r = try FieldReader(json, path: path)
        // Ganeti's upgrade gives a device with neither hvinfo nor slot an empty hvinfo: no placement.
        if r.object.isEmpty { return nil }
        return DeviceInfo(
            id: try r.requiredString("id"), driver: try r.requiredString("driver"), bus: try r.string("bus"),
            addr: try r.string("addr"), channel: try r.int("channel"), scsiID: try r.int("scsi-id"),
            lun: try r.int("lun"))
    }

    // MARK: - Writing

    public static func json(nic: NICSpec) -> JSONValue {
        var params: [String: JSONValue] = ["mode": .string(nic.mode)]
        params["link"] = nic.link.map { .string($0) }
        params["vlan"] = nic.vlan.map { .string($0) }
        var object: [String: JSONValue] = [
            "mac": .string(nic.mac), "uuid": .string(nic.uuid), "nicparams": .object(params),
        ]
        object["ip"] = nic.ip.map { .string($0) }
        object["name"] = nic.name.map { .string($0) }
        object["network"] = nic.network.map { .string($0) }
        object["netinfo"] = nic.netinfo?.json
        object["hvinfo"] = nic.hvinfo.map(json(info:))
        return .object(object)
    }

    public static func json(disk: DiskSpec) -> JSONValue {
        var object: [String: JSONValue] = ["uuid": .string(disk.uuid), "mode": .string(disk.mode)]
        object["name"] = disk.name.map { .string($0) }
        object["size"] = disk.size.map { .int(Int64($0)) }
        object["dev_type"] = disk.devType.map { .string($0) }
        object["hvinfo"] = disk.hvinfo.map(json(info:))
        return .object(object)
    }

    static func json(info: DeviceInfo) -> JSONValue {
        var object: [String: JSONValue] = ["id": .string(info.id), "driver": .string(info.driver)]
        object["bus"] = info.bus.map { .string($0) }
        object["addr"] = info.addr.map { .string($0) }
        object["channel"] = info.channel.map { .int(Int64($0)) }
        object["scsi-id"] = info.scsiID.map { .int(Int64($0)) }
        object["lun"] = info.lun.map { .int(Int64($0)) }
        return .object(object)
    }
}

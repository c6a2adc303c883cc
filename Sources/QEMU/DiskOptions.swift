/// One disk's `-blockdev` and `-device` options as typed values, in the order the command line
/// gives them: rendered as a command line on every start, and as the arguments of `blockdev-add`
/// and `device_add` when the disk is hot-added, so that both put the same disk on the same slot.
struct DiskOptions {
    /// `driver=raw,node-name=...`: dotted keys are nested members in QMP (`file.filename`).
    var blockdev: [(key: String, value: JSONValue)]
    /// The driver, then its properties.
    var driver: String
    var device: [(key: String, value: JSONValue)]

    /// The options of disk `index` of `runtime` (placed: it has its `hvinfo`).
    static func of(
        _ disk: DiskSpec, index: Int, runtime: QemuRuntime, features: QemuFeatures
    ) throws(SpecError) -> DiskOptions {
        let hv = runtime.hvparams
        let cache = CacheSettings(hv.string("disk_cache"))
        guard let info = disk.hvinfo else { throw SpecError("disks[\(index)]", "has no device placement (hvinfo)") }
        var file: [(String, JSONValue)]
        if let uri = disk.uri {
            let parsed: StorageURI
            do {
                parsed = try StorageURI.parse(uri)
            } catch {
                throw SpecError("disks[\(index)].uri", error.reason)
            }
            switch parsed {
            case .rbd(let pool, let image, let user):
                file = [("driver", .string("rbd")), ("pool", .string(pool)), ("image", .string(image))]
                if let user { file.append(("user", .string(user))) }
            case .gluster(let host, let port, let volume, let path):
                file = [
                    ("driver", .string("gluster")), ("server.0.type", .string("inet")),
                    ("server.0.host", .string(host)), ("server.0.port", .string(String(port))),
                    ("volume", .string(volume)), ("path", .string(path)),
                ]
            }
        } else {
            let fileBased = ["file", "sharedfile"].contains(disk.devType ?? "")
            file = [
                ("driver", .string(fileBased ? "file" : "host_device")), ("filename", .string(disk.path)),
                ("aio", .string(hv.string("disk_aio"))),
            ]
        }
        var blockdev: [(key: String, value: JSONValue)] = [
            ("driver", .string("raw")), ("node-name", .string(info.id)),
            ("discard", .string(hv.string("disk_discard"))),
            ("cache.direct", .bool(cache.direct)), ("cache.no-flush", .bool(cache.noFlush)),
        ]
        blockdev += file.map { ("file." + $0.0, $0.1) }
        if disk.mode == "ro" { blockdev.append(("read-only", .bool(true))) }
        if features.autoReadOnly { blockdev.append(("auto-read-only", .bool(false))) }
        var device: [(key: String, value: JSONValue)] = [("id", .string(info.id))]
        if let bus = info.bus { device.append(("bus", .string(bus))) }
        if let addr = info.addr { device.append(("addr", .string(addr))) }
        if let channel = info.channel { device.append(("channel", .int(Int64(channel)))) }
        if let scsiID = info.scsiID { device.append(("scsi-id", .int(Int64(scsiID)))) }
        if let lun = info.lun { device.append(("lun", .int(Int64(lun)))) }
        device.append(("drive", .string(info.id)))
        // An OnOffAuto property: a string in QMP as on the command line.
        if info.driver != "scsi-generic" { device.append(("write-cache", .string(cache.writeback ? "on" : "off"))) }
        let bootFromDisk = hv.string("boot_order") == "disk" && hv.string("kernel_path").isEmpty
        if bootFromDisk && index == 0 { device.append(("bootindex", .int(1))) }
        return DiskOptions(blockdev: blockdev, driver: info.driver, device: device)
    }

    /// `-blockdev ... -device ...`.
    var commandLine: [String] {
        func text(_ value: JSONValue) -> String {
            switch value {
            case .bool(let on): on ? "on" : "off"
            case .int(let number): String(number)
            case .string(let string): QemuOption.escape(string)
            default: value.text()
            }
        }
        return [
            "-blockdev", blockdev.map { "\($0.key)=\(text($0.value))" }.joined(separator: ","),
            "-device", ([driver] + device.map { "\($0.key)=\(text($0.value))" }).joined(separator: ","),
        ]
    }

    /// `blockdev-add`'s and `device_add`'s arguments. The dotted keys of the command line are
    /// nested objects in QMP, and a number among them an array's index (`server.0.host`).
    var qmp: (blockdev: [String: JSONValue], device: [String: JSONValue]) {
        var root: JSONValue = .object([:])
        for (key, value) in blockdev {
            Self.set(&root, path: key.split(separator: ".").map(String.init)[...], to: value)
        }
        var device: [String: JSONValue] = ["driver": .string(driver)]
        for (key, value) in self.device { device[key] = value }
        return (root.objectValue ?? [:], device)
    }

    private static func set(_ node: inout JSONValue, path: ArraySlice<String>, to value: JSONValue) {
        guard let key = path.first else {
            node = value
            return
        }
        let rest = path.dropFirst()
        if let index = Int(key) {
            var array = node.arrayValue ?? []
            while array.count <= index { array.append(.object([:])) }
            set(&array[index], path: rest, to: value)
            node = .array(array)
        } else {
            var object = node.objectValue ?? [:]
            var child = object[key] ?? (rest.first.flatMap { Int($0) } != nil ? .array([]) : .object([:]))
            set(&child, path: rest, to: value)
            object[key] = child
            node = .object(object)
        }
    }
}

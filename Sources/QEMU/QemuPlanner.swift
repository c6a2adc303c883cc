/// Turns an instance spec into qemu's command line: a pure function of the spec, the qemu
/// features and the node state paths. Same inputs, same argv, on any machine.
///
/// The result is split as Ganeti splits it: the generate-phase argv is saved in the runtime and
/// reused by soft reboots and migration targets; the disk arguments are derived from the
/// runtime's disks on every start (a migration target's disk paths may differ); tap fds, run-as,
/// keymap and `-incoming` are added at execution.
public enum QemuPlanner {
    /// Plans `spec` for a qemu with `features`.
    /// - Parameter interfaceAddresses: addresses of node interfaces, for VNC or SPICE bound to an
    ///   interface name (Ganeti resolves those at generation too, so they are saved with the
    ///   runtime; a migration target keeps the source's address).
    public static func plan(
        _ spec: InstanceSpec, features: QemuFeatures, paths: StateDirectory,
        interfaceAddresses: [String: [String]] = [:]
    ) throws(SpecError) -> QemuPlan {
        guard features.version >= QemuVersion.minimumSupported else {
            throw SpecError(
                "qemu",
                "qemu \(features.version) is too old: taphouse needs qemu \(QemuVersion.minimumSupported) or newer")
        }
        let hv = spec.hvparams
        var generator = Generator(spec: spec, hv: hv, features: features, paths: paths, addresses: interfaceAddresses)
        try generator.generate()
        let runtime = QemuRuntime(argv: generator.argv, nics: generator.nics, hvparams: hv, disks: generator.disks)
        return QemuPlan(runtime: runtime, diskArguments: try diskArguments(runtime, features: features))
    }

    /// The `-device`/`-blockdev` pairs for the runtime's disks, built on every start from the
    /// saved runtime.
    public static func diskArguments(_ runtime: QemuRuntime, features: QemuFeatures) throws(SpecError) -> [String] {
        let hv = runtime.hvparams
        let cache = CacheSettings(hv.string("disk_cache"))
        var argv: [String] = []
        let bootFromDisk = hv.string("boot_order") == "disk" && hv.string("kernel_path").isEmpty
        for (index, disk) in runtime.disks.enumerated() {
            guard let info = disk.hvinfo else { throw SpecError("disks[\(index)]", "has no device placement (hvinfo)") }
            var file: [(String, String)]
            if let uri = disk.uri {
                let parsed: StorageURI
                do {
                    parsed = try StorageURI.parse(uri)
                } catch {
                    throw SpecError("disks[\(index)].uri", error.reason)
                }
                switch parsed {
                case .rbd(let pool, let image, let user):
                    file = [("driver", "rbd"), ("pool", pool), ("image", image)]
                    if let user { file.append(("user", user)) }
                case .gluster(let host, let port, let volume, let path):
                    file = [
                        ("driver", "gluster"), ("server.0.type", "inet"), ("server.0.host", host),
                        ("server.0.port", String(port)), ("volume", volume), ("path", path),
                    ]
                }
            } else {
                let fileBased = ["file", "sharedfile"].contains(disk.devType ?? "")
                file = [
                    ("driver", fileBased ? "file" : "host_device"), ("filename", disk.path),
                    ("aio", hv.string("disk_aio")),
                ]
            }
            var blockdev = [
                "driver=raw", "node-name=\(info.id)", "discard=\(hv.string("disk_discard"))",
                "cache.direct=\(onOff(cache.direct))", "cache.no-flush=\(onOff(cache.noFlush))",
            ]
            blockdev += file.map { "file.\($0.0)=\(QemuOption.escape($0.1))" }
            if disk.mode == "ro" { blockdev.append("read-only=on") }
            if features.autoReadOnly { blockdev.append("auto-read-only=off") }
            var device = [info.driver, "id=\(info.id)"] + info.placement + ["drive=\(info.id)"]
            if info.driver != "scsi-generic" { device.append("write-cache=\(onOff(cache.writeback))") }
            if bootFromDisk && index == 0 { device.append("bootindex=1") }
            argv += ["-blockdev", blockdev.joined(separator: ","), "-device", device.joined(separator: ",")]
        }
        return argv
    }

    static func onOff(_ b: Bool) -> String { b ? "on" : "off" }
}

/// Ganeti's `GetCacheSettings`: what a `disk_cache` value means for qemu's block layer.
struct CacheSettings {
    var writeback: Bool
    var direct: Bool
    var noFlush: Bool

    init(_ mode: String) {
        switch mode {
        case "none": (writeback, direct, noFlush) = (true, true, false)
        case "writethrough": (writeback, direct, noFlush) = (false, false, false)
        default: (writeback, direct, noFlush) = (true, false, false)  // writeback, default
        }
    }
}

/// qemu option value quoting: a comma inside a value is written twice.
enum QemuOption {
    static func escape(_ value: String) -> String { value.replacingOccurrences(of: ",", with: ",,") }
}

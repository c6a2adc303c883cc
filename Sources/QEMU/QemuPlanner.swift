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
        var argv: [String] = []
        for (index, disk) in runtime.disks.enumerated() {
            argv += try DiskOptions.of(disk, index: index, runtime: runtime, features: features).commandLine
        }
        return argv
    }
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

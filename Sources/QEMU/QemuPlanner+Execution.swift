extension QemuPlanner {
    /// The whole command line of a start: the runtime's argv, its disks, its NICs on the taps
    /// opened, and the node's choices (stopped CPUs, keymap, run-as user, chroot, `-incoming`),
    /// as `-run-with` where qemu has it (9.0 and newer) and `-runas`/`-chroot` before.
    public static func commandLine(
        _ runtime: QemuRuntime, features: QemuFeatures, options: ExecutionOptions
    ) throws(SpecError) -> [String] {
        var argv = runtime.argv + (try diskArguments(runtime, features: features))
        argv += try nicArguments(runtime, taps: options.taps)
        if options.stopped { argv.append("-S") }
        let keymap = runtime.hvparams.string("keymap")
        if !keymap.isEmpty, !runtime.hvparams.string("vnc_bind_address").isEmpty { argv += ["-k", keymap] }
        if features.runWith {
            var with: [String] = []
            if let chroot = options.chroot { with.append("chroot=\(chroot)") }
            if let user = options.user { with.append("user=\(user)") }
            if !with.isEmpty { argv += ["-run-with", with.joined(separator: ",")] }
        } else {
            if let chroot = options.chroot { argv += ["-chroot", chroot] }
            if let user = options.user { argv += ["-runas", user] }
        }
        if let incoming = options.incoming { argv += ["-incoming", incoming] }
        return argv
    }
}

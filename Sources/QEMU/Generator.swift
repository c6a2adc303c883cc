/// The generate phase, in Ganeti's emission order (reference C.2, 2026 column).
struct Generator {
    let spec: InstanceSpec
    let hv: HVParams
    let features: QemuFeatures
    let paths: StateDirectory
    let addresses: [String: [String]]

    var argv: [String] = []
    var nics: [NICSpec] = []
    var disks: [DiskSpec] = []

    init(spec: InstanceSpec, hv: HVParams, features: QemuFeatures, paths: StateDirectory, addresses: [String: [String]])
    {
        self.spec = spec
        self.hv = hv
        self.features = features
        self.paths = paths
        self.addresses = addresses
    }

    mutating func generate() throws(SpecError) {
        let name = spec.name
        argv.append(hv.string("kvm_path"))
        // debug-threads names qemu's threads after their role; qemu 11 drops the option.
        argv += ["-name", features.version.major < 11 ? "\(name),debug-threads=on" : name]
        argv += ["-m", String(spec.beparams.maxmem), "-smp", smp(), "-pidfile", paths.pidFile(name)]
        if needsSCSIController { argv += ["-device", "\(hv.string("scsi_controller_type")),id=scsi"] }
        // A guest that powers off leaves qemu paused, not gone (as libvirt and Proxmox run it): its
        // SHUTDOWN can be read, with its reason, by whoever looks next (the daemon's supervisor,
        // or after a restart its recovery, or the CLI's list), and told from a crash.
        argv += ["-device", "virtio-balloon", "-daemonize", "-no-shutdown"]
        if hv.string("reboot_behavior") == "exit" { argv.append("-no-reboot") }
        machine()
        let bootable = hv.string("kernel_path").isEmpty
        try cdrom(1, hv.string("cdrom_image_path"), boot: bootable && hv.string("boot_order") == "cdrom")
        try cdrom(2, hv.string("cdrom2_image_path"), boot: false)
        floppy(boot: bootable && hv.string("boot_order") == "floppy")
        kernel()
        if !hv.string("mem_path").isEmpty { argv += ["-mem-path", hv.string("mem_path"), "-mem-prealloc"] }
        guard features.qmp else { throw SpecError("qemu", "qemu \(features.version) has no QMP (-qmp)") }
        argv += ["-qmp", "unix:\(paths.qmpSocket(name)),server=on,wait=off"]
        argv += ["-qmp", "unix:\(paths.eventsSocket(name)),server=on,wait=off"]
        argv += ["-serial", hv.bool("serial_console") ? "unix:\(paths.serialSocket(name)),server=on,wait=off" : "none"]
        argv.append("-usb")
        let vnc = hv.string("vnc_bind_address")
        if !hv.string("usb_mouse").isEmpty {
            argv += ["-usbdevice", hv.string("usb_mouse")]
        } else if !vnc.isEmpty {
            argv += ["-usbdevice", "tablet"]  // absolute pointing keeps a VNC cursor in step
        }
        let spice = !hv.string("spice_bind").isEmpty
        if !vnc.isEmpty {
            try vncDisplay(vnc)
        } else if spice {
            try spiceDisplay()
        } else {
            argv += features.display ? ["-display", "none"] : ["-nographic"]
        }
        let sound = hv.string("soundhw")
        if !sound.isEmpty {
            argv +=
                features.soundhw
                ? ["-soundhw", sound] : ["-audio", "driver=\(spice ? "spice" : "none"),model=\(sound),id=soundhw"]
        }
        if hv.bool("use_localtime") { argv += ["-rtc", "base=localtime"] }
        if !hv.string("cpu_type").isEmpty { argv += ["-cpu", hv.string("cpu_type")] }
        let vga = hv.string("vga").isEmpty && spice ? "qxl" : hv.string("vga")
        if !vga.isEmpty { argv += ["-vga", vga] }
        for device in hv.string("usb_devices").split(separator: ",") { argv += ["-usbdevice", String(device)] }
        if features.uuid { argv += ["-uuid", spec.uuid] }
        if hv.bool("use_guest_agent") {
            argv += [
                "-chardev", "socket,path=\(QemuOption.escape(paths.guestAgentSocket(name))),server=on,wait=off,id=qga0",
                "-device", "virtio-serial-pci,id=qga0", "-device",
                "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            ]
        }
        if case .success(let words) = ShellWords.split(hv.string("kvm_extra")) { argv += words }
        try placeDevices()
    }

    private func smp() -> String {
        var smp = String(spec.beparams.vcpus)
        for (option, key) in [("cores", "cpu_cores"), ("threads", "cpu_threads"), ("sockets", "cpu_sockets")]
        where hv.int(key) > 0 {
            smp += ",\(option)=\(hv.int(key))"
        }
        return smp
    }

    private var cdromType: String {
        hv.string("cdrom_disk_type").isEmpty ? hv.string("disk_type") : hv.string("cdrom_disk_type")
    }

    private var needsSCSIController: Bool {
        let hasCdrom = !hv.string("cdrom_image_path").isEmpty || !hv.string("cdrom2_image_path").isEmpty
        return (!spec.disks.isEmpty && HVCatalog.scsiDiskTypes.contains(hv.string("disk_type")))
            || (hasCdrom && HVCatalog.scsiDiskTypes.contains(cdromType))
    }

    private mutating func machine() {
        var machine = hv.string("machine_version")
        if machine.isEmpty { machine = features.defaultMachine ?? "pc" }
        if !hv.bool("acpi") {
            if features.noACPI { argv.append("-no-acpi") } else { machine += ",acpi=off" }
        }
        switch hv.string("kvm_flag") {
        case "enabled": machine += ",accel=kvm"
        // Ganeti's "disabled" became a no-op when -disable-kvm went away; it means TCG.
        case "disabled": machine += ",accel=tcg"
        default: break
        }
        argv += ["-machine", machine]
    }

    private mutating func cdrom(_ number: Int, _ image: String, boot: Bool) throws(SpecError) {
        guard !image.isEmpty else { return }
        let type = cdromType
        guard ["ide", "paravirtual"].contains(type) || HVCatalog.scsiDiskTypes.contains(type) else {
            throw SpecError(
                "hvparams.cdrom_disk_type",
                "a cdrom needs ide, paravirtual or a scsi type (disk_type \(type) cannot hold one)")
        }
        let id = "cdrom\(number)"
        var blockdev = ["driver=raw", "cache.direct=off", "cache.no-flush=on", "read-only=on", "node-name=\(id)"]
        if Syntax.isURL(image), let scheme = image.split(separator: ":").first {
            blockdev += ["file.driver=\(scheme)", "file.url=\(QemuOption.escape(image))"]
        } else {
            blockdev += ["file.driver=file", "file.filename=\(QemuOption.escape(image))"]
        }
        var device = [QemuDevices.cdromDriver(type), "drive=\(id)"]
        if boot { device.append("bootindex=1") }
        argv += ["-blockdev", blockdev.joined(separator: ","), "-device", device.joined(separator: ",")]
    }

    private mutating func floppy(boot: Bool) {
        let image = hv.string("floppy_image_path")
        guard !image.isEmpty else { return }
        argv += [
            "-blockdev", "driver=raw,node-name=floppy1,file.driver=file,file.filename=\(QemuOption.escape(image))",
        ]
        argv += ["-device", "floppy,drive=floppy1" + (boot ? ",bootindex=1" : "")]
    }

    private mutating func kernel() {
        let kernel = hv.string("kernel_path")
        guard !kernel.isEmpty else { return }
        argv += ["-kernel", kernel]
        if !hv.string("initrd_path").isEmpty { argv += ["-initrd", hv.string("initrd_path")] }
        var append: [String] = []
        if !hv.string("root_path").isEmpty { append.append("root=\(hv.string("root_path"))") }
        if !hv.string("kernel_args").isEmpty { append.append(hv.string("kernel_args")) }
        if hv.bool("serial_console") { append.append("console=ttyS0,\(hv.int("serial_speed"))") }
        argv += ["-append", append.joined(separator: " ")]
    }

    private mutating func vncDisplay(_ bind: String) throws(SpecError) {
        let display = spec.networkPort! - 5900  // checked when the spec was read
        var address: String
        if Syntax.isIPv4(bind) {
            address = bind == "0.0.0.0" ? ":\(display)" : "\(bind):\(display)"
        } else if Syntax.isIPv6(bind) {
            address = "[\(bind)]:\(display)"
        } else if bind.hasPrefix("/") {
            address = "unix:\(bind)/\(spec.name).vnc"
        } else {
            guard let ip = addresses[bind]?.first(where: Syntax.isIPv4) else {
                throw SpecError("hvparams.vnc_bind_address", "interface \(bind) has no IPv4 address on this node")
            }
            address = "\(ip):\(display)"
        }
        var options = [address]
        if hv.bool("vnc_tls") {
            let dir = hv.string("vnc_x509_path")
            let object =
                dir.isEmpty
                ? "tls-creds-anon,id=vnctls0,endpoint=server"
                : "tls-creds-x509,id=vnctls0,endpoint=server,dir=\(QemuOption.escape(dir)),verify-peer=\(hv.bool("vnc_x509_verify") ? "yes" : "no")"
            argv += ["-object", object]
            options.append("tls-creds=vnctls0")
        }
        if !hv.string("vnc_password_file").isEmpty { options.append("password=on") }
        argv += ["-vnc", options.joined(separator: ",")]
    }

    private mutating func spiceDisplay() throws(SpecError) {
        let bind = hv.string("spice_bind")
        let version = hv.int("spice_ip_version")
        var address = bind
        var family: String?
        if !Syntax.isIP(bind) {
            let candidates = addresses[bind] ?? []
            let pick: String? =
                switch version {
                case 4: candidates.first(where: Syntax.isIPv4)
                case 6: candidates.first(where: Syntax.isIPv6)
                default: candidates.first(where: Syntax.isIPv4) ?? candidates.first(where: Syntax.isIPv6)
                }
            guard let pick else {
                throw SpecError(
                    "hvparams.spice_bind",
                    "interface \(bind) has no IPv\(version == 6 ? "6" : version == 4 ? "4" : "4 or IPv6") address on this node"
                )
            }
            address = pick
            family = Syntax.isIPv6(pick) ? "ipv6=on" : "ipv4=on"
        }
        let port = spec.networkPort!  // checked when the spec was read
        var options = ["addr=\(address)"]
        if hv.bool("spice_use_tls") {
            options += [
                "tls-port=\(port)", "x509-cacert-file=\(QemuOption.escape(paths.spiceCACertificate))",
                "x509-key-file=\(QemuOption.escape(paths.spiceCertificate))",
                "x509-cert-file=\(QemuOption.escape(paths.spiceCertificate))",
            ]
            if !hv.string("spice_tls_ciphers").isEmpty {
                options.append("tls-ciphers=\(hv.string("spice_tls_ciphers"))")
            }
        } else {
            options.append("port=\(port)")
        }
        // Without a password qemu would refuse every client; with one, set_password follows start.
        if hv.string("spice_password_file").isEmpty { options.append("disable-ticketing=on") }
        if let family { options.append(family) }
        for (key, option) in [
            ("spice_image_compression", "image-compression"), ("spice_jpeg_wan_compression", "jpeg-wan-compression"),
            ("spice_zlib_glz_wan_compression", "zlib-glz-wan-compression"),
            ("spice_streaming_video", "streaming-video"),
        ] where !hv.string(key).isEmpty {
            options.append("\(option)=\(hv.string(key))")
        }
        if !hv.bool("spice_playback_compression") { options.append("playback-compression=off") }
        if !hv.bool("spice_use_vdagent") { options.append("agent-mouse=off") }
        argv += ["-spice", options.joined(separator: ",")]
        if hv.bool("spice_use_vdagent") {
            argv += [
                "-device", "virtio-serial-pci,id=spice", "-device",
                "virtserialport,chardev=spicechannel0,name=com.redhat.spice.0", "-chardev",
                "spicevmc,id=spicechannel0,name=vdagent",
            ]
        }
    }

    /// Ids and bus addresses for every disk, then every NIC (Ganeti's order), kept in `hvinfo`.
    private mutating func placeDevices() throws(SpecError) {
        var allocator = DeviceAllocator(pciReservations: hv.int("kvm_pci_reservations"))
        for var disk in spec.disks {
            disk.hvinfo = try allocator.place(
                kind: "disk", uuid: disk.uuid, driver: QemuDevices.diskDriver(hv.string("disk_type")))
            disks.append(disk)
        }
        for var nic in spec.nics {
            nic.hvinfo = try allocator.place(
                kind: "nic", uuid: nic.uuid, driver: QemuDevices.nicDriver(hv.string("nic_type")))
            nics.append(nic)
        }
        // Ganeti's ids keep only the uuid's first three groups: two devices whose uuids share
        // them would get one qemu id, which qemu refuses at start ("Duplicate ID").
        var seen: [String: String] = [:]
        let placed =
            disks.enumerated().map { ("disks[\($0.offset)]", $0.element.hvinfo?.id) }
            + nics.enumerated().map { ("nics[\($0.offset)]", $0.element.hvinfo?.id) }
        for (field, id) in placed {
            guard let id else { continue }
            if let first = seen[id] {
                throw SpecError(
                    "\(field).uuid",
                    "gives the device id \(id), as \(first).uuid does: uuids must differ in their first three groups")
            }
            seen[id] = field
        }
    }
}

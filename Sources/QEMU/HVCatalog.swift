/// Every hypervisor parameter taphouse knows: Ganeti 2012's and the 2026 additions, with
/// Ganeti's defaults except where noted.
public enum HVCatalog {
    static let diskTypes = [
        "paravirtual", "ide", "scsi", "sd", "mtd", "pflash", "scsi-generic", "scsi-block", "scsi-hd", "scsi-cd",
    ]
    static let scsiDiskTypes: Set<String> = ["scsi-generic", "scsi-block", "scsi-hd", "scsi-cd"]
    static let nicTypes = [
        "rtl8139", "ne2k_pci", "ne2k_isa", "i82551", "i82557b", "i82559er", "pcnet", "e1000", "paravirtual",
    ]
    /// The SPICE options that mean nothing without `spice_bind`.
    static let spiceAdditional = [
        "spice_ip_version", "spice_password_file", "spice_image_compression", "spice_jpeg_wan_compression",
        "spice_zlib_glz_wan_compression", "spice_streaming_video", "spice_use_tls",
    ]

    /// The parameters, in Ganeti's documentation order.
    public static let parameters: [HVParameter] = [
        HVParameter(
            "kvm_path", .string, .string("/usr/bin/kvm"), required: true, since2012: false, node: .file,
            syntax: Syntax.absolutePath),
        // Ganeti defaults to /boot/vmlinuz-3-kvmU; taphouse boots from the disks unless told.
        HVParameter("kernel_path", .string, .string(""), node: .file, syntax: Syntax.absolutePath),
        HVParameter("initrd_path", .string, .string(""), node: .file, syntax: Syntax.absolutePath),
        HVParameter("root_path", .string, .string("/dev/vda1"), syntax: Syntax.optionWordOrSpaceFree),
        HVParameter("kernel_args", .string, .string("ro")),
        HVParameter("acpi", .bool, .bool(true)),
        HVParameter("serial_console", .bool, .bool(true)),
        HVParameter("serial_speed", .int, .int(38400), since2012: false),
        HVParameter("vnc_bind_address", .string, .string(""), syntax: Syntax.vncBind),
        HVParameter("vnc_tls", .bool, .bool(false)),
        HVParameter("vnc_x509_path", .string, .string(""), node: .directory, syntax: Syntax.absolutePath),
        HVParameter("vnc_x509_verify", .bool, .bool(false)),
        HVParameter("vnc_password_file", .string, .string(""), node: .file, syntax: Syntax.absolutePath),
        HVParameter("spice_bind", .string, .string(""), syntax: Syntax.spiceBind),
        HVParameter(
            "spice_ip_version", .int, .int(0),
            syntax: { v in [.int(0), .int(4), .int(6)].contains(v) ? nil : "\(v) is not one of 0, 4, 6" }),
        HVParameter(
            "spice_password_file", .string, .string(""), since2012: false, node: .file, syntax: Syntax.absolutePath),
        HVParameter(
            "spice_image_compression", .string, .string(""),
            allowed: ["auto_glz", "auto_lz", "glz", "lz", "off", "quic"], since2012: false),
        HVParameter(
            "spice_jpeg_wan_compression", .string, .string(""), allowed: ["always", "auto", "never"], since2012: false),
        HVParameter(
            "spice_zlib_glz_wan_compression", .string, .string(""), allowed: ["always", "auto", "never"],
            since2012: false),
        HVParameter(
            "spice_streaming_video", .string, .string(""), allowed: ["all", "filter", "off"], since2012: false),
        HVParameter("spice_playback_compression", .bool, .bool(true), since2012: false),
        HVParameter("spice_use_tls", .bool, .bool(false), since2012: false),
        HVParameter(
            "spice_tls_ciphers", .string, .string("HIGH:-DES:-3DES:-EXPORT:-DH"), since2012: false,
            syntax: Syntax.optionWord),
        HVParameter("spice_use_vdagent", .bool, .bool(true), since2012: false),
        HVParameter("floppy_image_path", .string, .string(""), node: .file, syntax: Syntax.absolutePath),
        HVParameter("cdrom_image_path", .string, .string(""), node: .fileOrURL, syntax: Syntax.absolutePathOrURL),
        HVParameter("cdrom2_image_path", .string, .string(""), node: .fileOrURL, syntax: Syntax.absolutePathOrURL),
        HVParameter(
            "boot_order", .string, .string("disk"), allowed: ["disk", "cdrom", "floppy", "network"], required: true),
        HVParameter("nic_type", .string, .string("paravirtual"), allowed: nicTypes, required: true),
        HVParameter("disk_type", .string, .string("paravirtual"), allowed: diskTypes, required: true),
        HVParameter("cdrom_disk_type", .string, .string(""), allowed: diskTypes),
        HVParameter(
            "scsi_controller_type", .string, .string("lsi"), allowed: ["lsi", "virtio-scsi-pci", "megasas", "dc390"],
            required: true, since2012: false),
        HVParameter(
            "disk_cache", .string, .string("default"), allowed: ["default", "none", "writethrough", "writeback"],
            required: true),
        HVParameter(
            "disk_aio", .string, .string("threads"), allowed: ["threads", "native", "io_uring"], since2012: false),
        HVParameter("disk_discard", .string, .string("ignore"), allowed: ["ignore", "unmap"], since2012: false),
        HVParameter("usb_mouse", .string, .string(""), allowed: ["mouse", "tablet"]),
        HVParameter("usb_devices", .string, .string(""), since2012: false, syntax: Syntax.commaList),
        HVParameter("keymap", .string, .string(""), syntax: Syntax.optionWord),
        HVParameter("migration_port", .int, .int(8102), syntax: Syntax.port),
        HVParameter("migration_bandwidth", .int, .int(32), syntax: Syntax.nonNegative),
        HVParameter("migration_downtime", .int, .int(30), syntax: Syntax.nonNegative),
        HVParameter("migration_mode", .string, .string("live"), allowed: ["live", "non-live"], required: true),
        HVParameter("migration_caps", .string, .string(""), since2012: false, syntax: Syntax.colonList),
        HVParameter("use_guest_agent", .bool, .bool(false), since2012: false),
        HVParameter("use_localtime", .bool, .bool(false)),
        HVParameter("security_model", .string, .string("none"), allowed: ["none", "user", "pool"], required: true),
        HVParameter("security_domain", .string, .string(""), syntax: Syntax.optionWord),
        HVParameter("kvm_flag", .string, .string(""), allowed: ["enabled", "disabled"]),
        // Ganeti 2026 defaults to true; vhost-net is a node capability (absent on some kernels),
        // so taphouse asks for it only when the spec does.
        HVParameter("vhost_net", .bool, .bool(false)),
        HVParameter("virtio_net_queues", .int, .int(1), since2012: false, syntax: Syntax.range(1...32)),
        HVParameter("vnet_hdr", .bool, .bool(true), since2012: false),
        HVParameter("use_chroot", .bool, .bool(false)),
        HVParameter("user_shutdown", .bool, .bool(false), since2012: false),
        HVParameter("mem_path", .string, .string(""), node: .directory, syntax: Syntax.absolutePath),
        HVParameter("reboot_behavior", .string, .string("reboot"), allowed: ["reboot", "exit"], required: true),
        HVParameter("cpu_mask", .string, .string("all"), since2012: false, syntax: Syntax.cpuMask),
        HVParameter("cpu_type", .string, .string(""), since2012: false, syntax: Syntax.optionWordAllowingCommas),
        HVParameter("cpu_cores", .int, .int(0), since2012: false, syntax: Syntax.nonNegative),
        HVParameter("cpu_threads", .int, .int(0), since2012: false, syntax: Syntax.nonNegative),
        HVParameter("cpu_sockets", .int, .int(0), since2012: false, syntax: Syntax.nonNegative),
        HVParameter("soundhw", .string, .string(""), since2012: false, syntax: Syntax.optionWord),
        HVParameter("vga", .string, .string(""), since2012: false, syntax: Syntax.optionWord),
        HVParameter("kvm_extra", .string, .string(""), since2012: false, syntax: Syntax.shellWords),
        HVParameter("machine_version", .string, .string(""), since2012: false, syntax: Syntax.optionWord),
        HVParameter("kvm_pci_reservations", .int, .int(12), since2012: false, syntax: Syntax.range(0...32)),
    ]

    /// The parameter of that name.
    public static func parameter(_ name: String) -> HVParameter? { byName[name] }

    static let byName: [String: HVParameter] = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
}

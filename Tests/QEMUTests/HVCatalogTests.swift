import Testing

@testable import QEMU

@Suite("Hypervisor parameter catalog and checks")
struct HVCatalogTests {
    static let ganeti2012 = [
        "kernel_path", "initrd_path", "root_path", "kernel_args", "acpi", "serial_console", "vnc_bind_address",
        "vnc_tls", "vnc_x509_path", "vnc_x509_verify", "vnc_password_file", "spice_bind", "spice_ip_version",
        "floppy_image_path", "cdrom_image_path", "cdrom2_image_path", "boot_order", "nic_type", "disk_type",
        "cdrom_disk_type", "disk_cache", "usb_mouse", "keymap", "migration_port", "migration_bandwidth",
        "migration_downtime", "migration_mode", "use_localtime", "security_model", "security_domain", "kvm_flag",
        "vhost_net", "use_chroot", "mem_path", "reboot_behavior",
    ]
    static let ganeti2026 = [
        "kvm_path", "serial_speed", "machine_version", "cpu_type", "cpu_cores", "cpu_threads", "cpu_sockets",
        "cpu_mask", "virtio_net_queues", "vnet_hdr", "disk_aio", "disk_discard", "usb_devices", "vga", "soundhw",
        "kvm_extra", "migration_caps", "use_guest_agent", "scsi_controller_type", "kvm_pci_reservations",
        "user_shutdown", "spice_password_file", "spice_image_compression", "spice_jpeg_wan_compression",
        "spice_zlib_glz_wan_compression", "spice_streaming_video", "spice_playback_compression", "spice_use_tls",
        "spice_tls_ciphers", "spice_use_vdagent",
    ]

    @Test func theCatalogHasEvery2012AndTheNamed2026Parameters() {
        let names = Set(HVCatalog.parameters.map(\.name))
        #expect(names == Set(Self.ganeti2012 + Self.ganeti2026))
        #expect(HVCatalog.parameters.count == names.count)
        for name in Self.ganeti2012 { #expect(HVCatalog.parameter(name)?.since2012 == true, "\(name)") }
        for name in Self.ganeti2026 { #expect(HVCatalog.parameter(name)?.since2012 == false, "\(name)") }
    }

    @Test("every parameter refuses a value of the wrong type", arguments: HVCatalog.parameters.map(\.name))
    func wrongTypeIsRefused(name: String) throws {
        let parameter = try #require(HVCatalog.parameter(name))
        let wrong: JSONValue = parameter.kind == .string ? 7 : "7"
        let error = #expect(throws: SpecError.self) { try HVParams.parse(["\(name)": wrong]) }
        #expect(error?.field == "hvparams.\(name)")
        #expect(error?.reason.hasPrefix("expected ") == true)
    }

    @Test(
        "every parameter with a fixed set refuses a value outside it",
        arguments: HVCatalog.parameters.filter { $0.allowed != nil }.map(\.name))
    func valueOutsideSetIsRefused(name: String) {
        let error = #expect(throws: SpecError.self) { try HVParams.parse(["\(name)": "bogus"]) }
        #expect(error?.description.hasPrefix("hvparams.\(name): \"bogus\" is not one of ") == true)
    }

    static let syntaxRefusals: [(String, JSONValue)] = [
        ("kvm_path", "bin/kvm"), ("kernel_path", "/boot/../vmlinuz"), ("initrd_path", "initrd"),
        ("vnc_bind_address", "not an address!"), ("vnc_x509_path", "certs"), ("vnc_password_file", "/a//b"),
        ("spice_bind", "/tmp"), ("spice_ip_version", 5), ("spice_password_file", "pw"),
        ("floppy_image_path", "fd.img"), ("cdrom_image_path", "gopher://x/iso"), ("cdrom2_image_path", "./x.iso"),
        ("migration_port", 0), ("migration_port", 65535), ("migration_bandwidth", -1), ("migration_downtime", -5),
        ("virtio_net_queues", 0), ("virtio_net_queues", 33), ("kvm_pci_reservations", 33), ("cpu_cores", -1),
        ("cpu_threads", -1), ("cpu_sockets", -2), ("cpu_mask", "0-2,x"), ("cpu_mask", "3-1"), ("mem_path", "hugepages"),
        ("kvm_extra", "-foo 'unterminated"), ("migration_caps", "xbzrle::postcopy-ram"), ("usb_devices", "a,,b"),
        ("keymap", "en us"), ("vga", "std,x"), ("soundhw", "hda ac97"), ("machine_version", "pc q35"),
        ("spice_tls_ciphers", "HIGH, LOW"), ("security_domain", "a,b"), ("cpu_type", "host +x"),
        ("root_path", "/dev/vda 1"),
    ]

    @Test("syntax checks refuse bad values", arguments: syntaxRefusals)
    func badValueIsRefused(name: String, value: JSONValue) {
        let error = #expect(throws: SpecError.self) { try HVParams.parse(["\(name)": value]) }
        #expect(error?.field == "hvparams.\(name)", "\(name)=\(value)")
    }

    static let syntaxAccepts: [(String, JSONValue)] = [
        ("cpu_mask", "0-2,4:all:1,3"), ("vnc_bind_address", "::1"), ("vnc_bind_address", "eth0"),
        ("vnc_bind_address", "/var/run/vnc"), ("cdrom_image_path", "https://example.org/x.iso"),
        ("kvm_extra", "-global \"kvm-pit.lost_tick_policy=delay\" -x 'a b'"), ("migration_caps", "xbzrle:postcopy-ram"),
        ("usb_devices", "mouse,tablet"), ("cpu_type", "host,+x2apic"), ("virtio_net_queues", 32),
    ]

    @Test("syntax checks accept good values", arguments: syntaxAccepts)
    func goodValueIsAccepted(name: String, value: JSONValue) throws {
        _ = try HVParams.parse(["\(name)": value])
    }

    static let crossRefusals: [([String: JSONValue], String)] = [
        (
            ["kernel_path": "/boot/vmlinuz", "root_path": ""],
            "hvparams.root_path: a root partition is required when kernel_path is set"
        ),
        (["boot_order": "cdrom"], "hvparams.cdrom_image_path: required to boot from cdrom (boot_order is cdrom)"),
        (["boot_order": "floppy"], "hvparams.floppy_image_path: required to boot from floppy (boot_order is floppy)"),
        (["initrd_path": "/boot/initrd"], "hvparams.initrd_path: an initrd needs kernel_path"),
        (["vnc_x509_verify": true], "hvparams.vnc_x509_path: required when vnc_x509_verify is true"),
        (["vnc_x509_path": "/etc/pki"], "hvparams.vnc_x509_path: has no effect unless vnc_tls is true"),
        (["security_model": "user"], "hvparams.security_domain: required when security_model is user"),
        (["security_domain": "qemu"], "hvparams.security_domain: must be empty when security_model is none"),
        (
            ["security_model": "pool", "security_domain": "qemu"],
            "hvparams.security_domain: must be empty when security_model is pool"
        ),
        (
            ["serial_speed": 1],
            "hvparams.serial_speed: 1 is not a serial speed (75, 110, 300, 600, 1200, 1800, 2400, 4800, 9600, 14400, 19200, 28800, 38400, 57600, 115200, 230400, 345600, 460800)"
        ),
        (["spice_use_tls": true], "hvparams.spice_use_tls: has no effect without spice_bind"),
        (["spice_ip_version": 4], "hvparams.spice_ip_version: has no effect without spice_bind"),
        (["spice_image_compression": "lz"], "hvparams.spice_image_compression: has no effect without spice_bind"),
        (
            ["spice_bind": "0.0.0.0", "spice_ip_version": 6],
            "hvparams.spice_ip_version: 6 does not match the address 0.0.0.0"
        ),
        (["spice_bind": "::", "spice_ip_version": 4], "hvparams.spice_ip_version: 4 does not match the address ::"),
        (
            ["spice_bind": "0.0.0.0", "vnc_bind_address": "0.0.0.0"],
            "hvparams.spice_bind: cannot be used together with vnc_bind_address"
        ),
        (["disk_aio": "native"], "hvparams.disk_aio: native needs disk_cache none (it is default)"),
        (
            ["disk_aio": "native", "disk_cache": "writeback"],
            "hvparams.disk_aio: native needs disk_cache none (it is writeback)"
        ),
        (
            ["cdrom_disk_type": "mtd"],
            "hvparams.cdrom_disk_type: mtd cannot hold a cdrom (use ide, paravirtual or a scsi type)"
        ),
    ]

    @Test("cross-parameter rules", arguments: crossRefusals)
    func crossRuleRefuses(hvparams: [String: JSONValue], message: String) {
        let error = #expect(throws: SpecError.self) { try HVParams.parse(.object(hvparams)) }
        #expect(error?.description == message)
    }

    @Test func crossRulesAcceptTheValidCombinations() throws {
        _ = try HVParams.parse(["disk_aio": "native", "disk_cache": "none"])
        _ = try HVParams.parse(["security_model": "user", "security_domain": "qemu"])
        _ = try HVParams.parse(["spice_bind": "::", "spice_ip_version": 6, "spice_use_tls": true])
        _ = try HVParams.parse(["vnc_tls": true, "vnc_x509_path": "/etc/pki/vnc", "vnc_x509_verify": true])
        _ = try HVParams.parse(["kernel_path": "/boot/vmlinuz", "initrd_path": "/boot/initrd"])
        for speed in Syntax.serialSpeeds { _ = try HVParams.parse(["serial_speed": .int(Int64(speed))]) }
        _ = try HVParams.parse(["serial_console": false, "serial_speed": 1])
    }

    /// A node described in memory (a fake of the real node's facts, for the checks above them).
    static func fakeNode(
        features: QemuFeatures = SpecFixtures.qemu72, files: Set<String> = [], directories: Set<String> = [],
        users: Set<String> = [], interfaces: Set<String> = []
    ) -> NodeFacts {
        NodeFacts(
            features: features, isFile: { files.contains($0) }, isDirectory: { directories.contains($0) },
            pathExists: { files.contains($0) || directories.contains($0) }, userExists: { users.contains($0) },
            interfaceExists: { interfaces.contains($0) })
    }

    static let nodeRefusals: [([String: JSONValue], String)] = [
        ([:], "hvparams.kvm_path: /usr/bin/kvm is not an existing file"),
        (
            ["kvm_path": "/q", "kernel_path": "/boot/vmlinuz"],
            "hvparams.kernel_path: /boot/vmlinuz is not an existing file"
        ),
        (["kvm_path": "/q", "mem_path": "/hugepages"], "hvparams.mem_path: /hugepages is not an existing directory"),
        (
            ["kvm_path": "/q", "cdrom_image_path": "/iso/x.iso"],
            "hvparams.cdrom_image_path: /iso/x.iso is not an existing file"
        ),
        (
            ["kvm_path": "/q", "security_model": "user", "security_domain": "nobody-here"],
            "hvparams.security_domain: no user nobody-here on this node"
        ),
        (["kvm_path": "/q", "vnc_bind_address": "eth9"], "hvparams.vnc_bind_address: no interface eth9 on this node"),
        (["kvm_path": "/q", "spice_bind": "eth9"], "hvparams.spice_bind: no interface eth9 on this node"),
        (
            ["kvm_path": "/q", "machine_version": "pc-q35-99.0"],
            "hvparams.machine_version: qemu 7.2.22 has no machine type pc-q35-99.0"
        ),
        (["kvm_path": "/q", "vhost_net": true], "hvparams.vhost_net: /dev/vhost-net does not exist on this node"),
    ]

    @Test("node checks refuse what the node lacks", arguments: nodeRefusals)
    func nodeCheckRefuses(hvparams: [String: JSONValue], message: String) throws {
        let params = try HVParams.parse(.object(hvparams))
        let error = #expect(throws: SpecError.self) {
            try params.checkOnNode(Self.fakeNode(files: ["/q"], users: ["qemu"], interfaces: ["lo"]))
        }
        #expect(error?.description == message)
    }

    @Test func nodeChecksPassWhenTheNodeHasEverything() throws {
        let params = try HVParams.parse([
            "kvm_path": "/q", "kernel_path": "/boot/vmlinuz", "cdrom_image_path": "https://example.org/x.iso",
            "security_model": "user", "security_domain": "qemu", "vnc_bind_address": "lo", "mem_path": "/hugepages",
            "vhost_net": true,
        ])
        try params.checkOnNode(
            Self.fakeNode(
                files: ["/q", "/boot/vmlinuz", "/dev/vhost-net"], directories: ["/hugepages"], users: ["qemu"],
                interfaces: ["lo"]))
    }

    @Test func featureChecksNameTheQemuVersion() throws {
        var old = SpecFixtures.qemu72
        old.spice = false
        old.vhost = false
        old.multiqueueFds = false
        old.devices = ["e1000"]
        let spice = try HVParams.parse(["spice_bind": "0.0.0.0"])
        #expect(throws: SpecError("hvparams.spice_bind", "qemu 7.2.22 has no SPICE support")) {
            try spice.checkFeatures(old)
        }
        let vhost = try HVParams.parse(["vhost_net": true])
        #expect(throws: SpecError("hvparams.vhost_net", "qemu 7.2.22 has no vhost support for taps")) {
            try vhost.checkFeatures(old)
        }
        let queues = try HVParams.parse(["virtio_net_queues": 4])
        #expect(throws: SpecError("hvparams.virtio_net_queues", "qemu 7.2.22 cannot take a multiqueue tap")) {
            try queues.checkFeatures(old)
        }
        let nic = try HVParams.parse(["nic_type": "e1000", "disk_type": "ide"])
        #expect(throws: SpecError("hvparams.disk_type", "qemu 7.2.22 has no device ide-hd")) {
            try nic.checkFeatures(old)
        }
    }

    @Test(
        "kvm_extra splits like a shell, without one",
        arguments: [
            ("-a b", ["-a", "b"]), ("-x 'a b' \"c d\"", ["-x", "a b", "c d"]), ("a\\ b", ["a b"]),
            ("\"$(id)\" `x` ;", ["$(id)", "`x`", ";"]), ("  ", []), ("'it''s'", ["its"]), ("\"a\\\"b\"", ["a\"b"]),
        ])
    func shellWordsSplit(text: String, words: [String]) throws {
        #expect(try ShellWords.split(text).get() == words)
    }
}

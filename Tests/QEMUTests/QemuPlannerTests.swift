import Foundation
import Testing

@testable import QEMU

@Suite("Planning the qemu command line")
struct QemuPlannerTests {
    /// (what, hvparams, other spec changes, a run of arguments that must appear)
    static let fragments: [(String, [String: JSONValue], [String: JSONValue], [String])] = [
        (
            "kvm_path first", ["kvm_path": "/opt/qemu/bin/qemu-system-x86_64"], [:],
            ["/opt/qemu/bin/qemu-system-x86_64", "-name"]
        ),
        ("name with debug threads", [:], [:], ["-name", "inst1.example.org,debug-threads=on"]),
        ("memory from maxmem", [:], ["beparams": ["maxmem": 2048, "vcpus": 4]], ["-m", "2048", "-smp", "4"]),
        (
            "smp topology", ["cpu_cores": 2, "cpu_threads": 2, "cpu_sockets": 1], ["beparams": ["vcpus": 4]],
            ["-smp", "4,cores=2,threads=2,sockets=1"]
        ),
        ("pid file under the state dir", [:], [:], ["-pidfile", "/run/th/pid/inst1.example.org"]),
        ("balloon and daemonize", [:], [:], ["-device", "virtio-balloon", "-daemonize", "-no-shutdown"]),
        ("no reboot", ["reboot_behavior": "exit"], [:], ["-daemonize", "-no-shutdown", "-no-reboot"]),
        ("default machine from qemu", [:], [:], ["-machine", "pc-i440fx-7.2"]),
        ("machine version", ["machine_version": "q35"], [:], ["-machine", "q35"]),
        ("acpi off with -no-acpi", ["acpi": false], [:], ["-no-acpi", "-machine", "pc-i440fx-7.2"]),
        ("kvm enabled", ["kvm_flag": "enabled"], [:], ["-machine", "pc-i440fx-7.2,accel=kvm"]),
        ("kvm disabled means tcg", ["kvm_flag": "disabled"], [:], ["-machine", "pc-i440fx-7.2,accel=tcg"]),
        (
            "QMP sockets", [:], [:],
            [
                "-qmp", "unix:/run/th/ctrl/inst1.example.org.qmp,server=on,wait=off",
                "-qmp", "unix:/run/th/ctrl/inst1.example.org.events,server=on,wait=off",
            ]
        ),
        ("serial socket", [:], [:], ["-serial", "unix:/run/th/ctrl/inst1.example.org.serial,server=on,wait=off"]),
        ("no serial console", ["serial_console": false], [:], ["-serial", "none"]),
        ("no display", [:], [:], ["-display", "none"]),
        (
            "kernel, initrd and append with serial speed",
            [
                "kernel_path": "/boot/vmlinuz", "initrd_path": "/boot/initrd", "root_path": "/dev/vda2",
                "kernel_args": "ro quiet", "serial_speed": 115200,
            ],
            [:],
            [
                "-kernel", "/boot/vmlinuz", "-initrd", "/boot/initrd", "-append",
                "root=/dev/vda2 ro quiet console=ttyS0,115200",
            ]
        ),
        (
            "append without serial console", ["kernel_path": "/boot/vmlinuz", "serial_console": false], [:],
            ["-append", "root=/dev/vda1 ro"]
        ),
        ("mem path", ["mem_path": "/hugepages"], [:], ["-mem-path", "/hugepages", "-mem-prealloc"]),
        ("usb mouse", ["usb_mouse": "mouse"], [:], ["-usb", "-usbdevice", "mouse"]),
        ("usb devices", ["usb_devices": "keyboard,tablet"], [:], ["-usbdevice", "keyboard", "-usbdevice", "tablet"]),
        (
            "vnc on all addresses with a tablet", ["vnc_bind_address": "0.0.0.0"], [:],
            ["-usb", "-usbdevice", "tablet", "-vnc", ":5100"]
        ),
        ("vnc on one address", ["vnc_bind_address": "192.0.2.1"], ["network_port": 5910], ["-vnc", "192.0.2.1:10"]),
        ("vnc on IPv6", ["vnc_bind_address": "2001:db8::1"], [:], ["-vnc", "[2001:db8::1]:5100"]),
        (
            "vnc on a unix socket folder", ["vnc_bind_address": "/run/vnc"], [:],
            ["-vnc", "unix:/run/vnc/inst1.example.org.vnc"]
        ),
        (
            "vnc with anonymous TLS and password",
            ["vnc_bind_address": "0.0.0.0", "vnc_tls": true, "vnc_password_file": "/etc/pw"], [:],
            ["-object", "tls-creds-anon,id=vnctls0,endpoint=server", "-vnc", ":5100,tls-creds=vnctls0,password=on"]
        ),
        (
            "vnc with x509 and verification",
            ["vnc_bind_address": "0.0.0.0", "vnc_tls": true, "vnc_x509_path": "/etc/pki/vnc", "vnc_x509_verify": true],
            [:],
            [
                "-object", "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/pki/vnc,verify-peer=yes", "-vnc",
                ":5100,tls-creds=vnctls0",
            ]
        ),
        (
            "spice with vdagent", ["spice_bind": "192.0.2.1"], [:],
            [
                "-spice", "addr=192.0.2.1,port=11000,disable-ticketing=on", "-device", "virtio-serial-pci,id=spice",
                "-device",
                "virtserialport,chardev=spicechannel0,name=com.redhat.spice.0", "-chardev",
                "spicevmc,id=spicechannel0,name=vdagent",
            ]
        ),
        (
            "spice with TLS, password and tuning",
            [
                "spice_bind": "::", "spice_use_tls": true, "spice_password_file": "/etc/spw",
                "spice_image_compression": "lz",
                "spice_jpeg_wan_compression": "never", "spice_zlib_glz_wan_compression": "auto",
                "spice_streaming_video": "off",
                "spice_playback_compression": false, "spice_use_vdagent": false,
            ], [:],
            [
                "-spice",
                "addr=::,tls-port=11000,x509-cacert-file=/etc/taphouse/spice-ca.pem,x509-key-file=/etc/taphouse/spice.pem,x509-cert-file=/etc/taphouse/spice.pem,tls-ciphers=HIGH:-DES:-3DES:-EXPORT:-DH,image-compression=lz,jpeg-wan-compression=never,zlib-glz-wan-compression=auto,streaming-video=off,playback-compression=off,agent-mouse=off",
                "-vga", "qxl",
            ]
        ),
        ("sound through -audio", ["soundhw": "hda"], [:], ["-audio", "driver=none,model=hda,id=soundhw"]),
        ("localtime", ["use_localtime": true], [:], ["-rtc", "base=localtime"]),
        ("cpu type", ["cpu_type": "host,+x2apic"], [:], ["-cpu", "host,+x2apic"]),
        ("vga", ["vga": "std"], [:], ["-vga", "std"]),
        ("uuid", [:], [:], ["-uuid", "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31"]),
        (
            "guest agent", ["use_guest_agent": true], [:],
            [
                "-chardev", "socket,path=/run/th/ctrl/inst1.example.org.qga,server=on,wait=off,id=qga0", "-device",
                "virtio-serial-pci,id=qga0", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            ]
        ),
        (
            "kvm_extra words", ["kvm_extra": "-global 'kvm-pit.lost_tick_policy=delay' -no-hpet"], [:],
            ["-global", "kvm-pit.lost_tick_policy=delay", "-no-hpet"]
        ),
        (
            "cdrom boot", ["boot_order": "cdrom", "cdrom_image_path": "/iso/d.iso", "cdrom_disk_type": "ide"], [:],
            [
                "-blockdev",
                "driver=raw,cache.direct=off,cache.no-flush=on,read-only=on,node-name=cdrom1,file.driver=file,file.filename=/iso/d.iso",
                "-device", "ide-cd,drive=cdrom1,bootindex=1",
            ]
        ),
        (
            "cdrom from a URL, second cdrom never boots",
            [
                "cdrom_image_path": "https://example.org/a.iso", "cdrom2_image_path": "/iso/b.iso",
                "cdrom_disk_type": "paravirtual",
            ], [:],
            [
                "-blockdev",
                "driver=raw,cache.direct=off,cache.no-flush=on,read-only=on,node-name=cdrom1,file.driver=https,file.url=https://example.org/a.iso",
                "-device", "virtio-blk-pci,drive=cdrom1",
                "-blockdev",
                "driver=raw,cache.direct=off,cache.no-flush=on,read-only=on,node-name=cdrom2,file.driver=file,file.filename=/iso/b.iso",
                "-device", "virtio-blk-pci,drive=cdrom2",
            ]
        ),
        (
            "scsi cdrom brings the controller",
            [
                "cdrom_image_path": "/iso/d.iso", "cdrom_disk_type": "scsi-cd",
                "scsi_controller_type": "virtio-scsi-pci",
            ], [:],
            ["-device", "virtio-scsi-pci,id=scsi"]
        ),
        (
            "floppy boot", ["boot_order": "floppy", "floppy_image_path": "/img/fd.img"], [:],
            [
                "-blockdev", "driver=raw,node-name=floppy1,file.driver=file,file.filename=/img/fd.img", "-device",
                "floppy,drive=floppy1,bootindex=1",
            ]
        ),
        (
            "disk boots by default", [:], [:],
            [
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=ignore,cache.direct=off,cache.no-flush=off,file.driver=host_device,file.filename=/dev/vg/inst1-disk0,file.aio=threads,auto-read-only=off",
                "-device",
                "virtio-blk-pci,id=disk-9f5c5bd4-6f60-4f6a,bus=pci.0,addr=0xc,drive=disk-9f5c5bd4-6f60-4f6a,write-cache=on,bootindex=1",
            ]
        ),
        (
            "disk cache none, native aio, unmap",
            ["disk_cache": "none", "disk_aio": "native", "disk_discard": "unmap"], [:],
            [
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=unmap,cache.direct=on,cache.no-flush=off,file.driver=host_device,file.filename=/dev/vg/inst1-disk0,file.aio=native,auto-read-only=off",
            ]
        ),
        (
            "writethrough turns the write cache off", ["disk_cache": "writethrough"], [:],
            [
                "-device",
                "virtio-blk-pci,id=disk-9f5c5bd4-6f60-4f6a,bus=pci.0,addr=0xc,drive=disk-9f5c5bd4-6f60-4f6a,write-cache=off,bootindex=1",
            ]
        ),
        (
            "scsi disk on the scsi bus", ["disk_type": "scsi-hd"], [:],
            [
                "-device",
                "scsi-hd,id=disk-9f5c5bd4-6f60-4f6a,bus=scsi.0,channel=0,scsi-id=0,lun=0,drive=disk-9f5c5bd4-6f60-4f6a,write-cache=on,bootindex=1",
            ]
        ),
        (
            "ide disk takes no PCI slot", ["disk_type": "ide"], [:],
            ["-device", "ide-hd,id=disk-9f5c5bd4-6f60-4f6a,drive=disk-9f5c5bd4-6f60-4f6a,write-cache=on,bootindex=1"]
        ),
        (
            "no disk boot with a kernel", ["kernel_path": "/boot/vmlinuz"], [:],
            [
                "-device",
                "virtio-blk-pci,id=disk-9f5c5bd4-6f60-4f6a,bus=pci.0,addr=0xc,drive=disk-9f5c5bd4-6f60-4f6a,write-cache=on",
            ]
        ),
        (
            "read-only file disk", [:],
            [
                "disk_template": "file",
                "disks": [
                    ["uuid": .string(SpecFixtures.diskUUID), "path": "/srv/d.img", "mode": "ro", "dev_type": "file"]
                ],
            ],
            [
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=ignore,cache.direct=off,cache.no-flush=off,file.driver=file,file.filename=/srv/d.img,file.aio=threads,read-only=on,auto-read-only=off",
            ]
        ),
        (
            "rbd userspace disk", [:],
            [
                "disks": [
                    ["uuid": .string(SpecFixtures.diskUUID), "path": "/dev/rbd0", "uri": "rbd:ganeti/disk0:id=admin"]
                ]
            ],
            [
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=ignore,cache.direct=off,cache.no-flush=off,file.driver=rbd,file.pool=ganeti,file.image=disk0,file.user=admin,auto-read-only=off",
            ]
        ),
        (
            "gluster userspace disk", [:],
            [
                "disks": [
                    [
                        "uuid": .string(SpecFixtures.diskUUID), "path": "/dev/x",
                        "uri": "gluster://192.0.2.5/vol/dir/img",
                    ]
                ]
            ],
            [
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=ignore,cache.direct=off,cache.no-flush=off,file.driver=gluster,file.server.0.type=inet,file.server.0.host=192.0.2.5,file.server.0.port=24007,file.volume=vol,file.path=dir/img,auto-read-only=off",
            ]
        ),
        (
            "commas in paths are doubled", [:],
            ["disks": [["uuid": .string(SpecFixtures.diskUUID), "path": "/srv/a,b.img", "dev_type": "file"]]],
            [
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=ignore,cache.direct=off,cache.no-flush=off,file.driver=file,file.filename=/srv/a,,b.img,file.aio=threads,auto-read-only=off",
            ]
        ),
    ]

    @Test("each parameter shapes its part of the command line", arguments: fragments)
    func parameterShapesArgv(
        what: String, hvparams: [String: JSONValue], changes: [String: JSONValue], fragment: [String]
    ) throws {
        let argv = try SpecFixtures.argv(hvparams: hvparams, changes)
        #expect(argv.contains(run: fragment), "\(what): \(argv)")
    }

    @Test func olderQemuFallsBackWhereItMust() throws {
        var features = SpecFixtures.qemu72
        features.noACPI = false
        features.display = false
        features.soundhw = true
        features.uuid = false
        let argv = try SpecFixtures.argv(hvparams: ["acpi": false, "soundhw": "ac97"], features: features)
        #expect(argv.contains(run: ["-machine", "pc-i440fx-7.2,acpi=off"]))
        #expect(argv.contains(run: ["-nographic"]))
        #expect(argv.contains(run: ["-soundhw", "ac97"]))
        #expect(!argv.contains("-uuid"))
        #expect(!argv.contains("-no-acpi"))
    }

    @Test func qemu11DropsDebugThreads() throws {
        var features = SpecFixtures.qemu72
        features.version = QemuVersion(11, 0, 0)
        #expect(try SpecFixtures.argv(features: features).contains(run: ["-name", "inst1.example.org"]))
    }

    @Test func qemuOlderThanTheMinimumIsRefusedNamingBothVersions() throws {
        var features = SpecFixtures.qemu72
        features.version = QemuVersion(4, 2, 1)
        let error = #expect(throws: SpecError.self) { try SpecFixtures.argv(features: features) }
        #expect(error?.reason == "qemu 4.2.1 is too old: taphouse needs qemu 5.0.0 or newer")
    }

    @Test func devicesGetGanetiIdsAndSlotsDisksFirst() throws {
        let spec = try SpecFixtures.spec(
            hvparams: ["kvm_pci_reservations": 8],
            [
                "nics": [
                    ["mac": "aa:00:00:00:00:01", "uuid": .string(SpecFixtures.nicUUID), "nicparams": ["link": "br0"]],
                    ["mac": "aa:00:00:00:00:02", "uuid": .string(SpecFixtures.nic2UUID), "nicparams": ["link": "br0"]],
                ],
                "disks": [
                    ["uuid": .string(SpecFixtures.diskUUID), "path": "/dev/a"],
                    ["uuid": .string(SpecFixtures.disk2UUID), "path": "/dev/b"],
                ],
            ])
        let plan = try QemuPlanner.plan(spec, features: SpecFixtures.qemu72, paths: SpecFixtures.paths)
        #expect(
            plan.runtime.disks.map(\.hvinfo) == [
                DeviceInfo(id: "disk-9f5c5bd4-6f60-4f6a", driver: "virtio-blk-pci", bus: "pci.0", addr: "0x8"),
                DeviceInfo(id: "disk-aaaaaaaa-bbbb-4ccc", driver: "virtio-blk-pci", bus: "pci.0", addr: "0x9"),
            ])
        #expect(
            plan.runtime.nics.map(\.hvinfo) == [
                DeviceInfo(id: "nic-003fc157-66a8-4e6d", driver: "virtio-net-pci", bus: "pci.0", addr: "0xa"),
                DeviceInfo(id: "nic-11111111-2222-4333", driver: "virtio-net-pci", bus: "pci.0", addr: "0xb"),
            ])
    }

    @Test func defaultReservationsStartAtSlotTwelve() throws {
        let plan = try QemuPlanner.plan(SpecFixtures.spec(), features: SpecFixtures.qemu72, paths: SpecFixtures.paths)
        #expect(plan.runtime.disks[0].hvinfo?.addr == "0xc")
        #expect(plan.runtime.nics[0].hvinfo?.addr == "0xd")
    }

    @Test func isaNICsAndScsiDisksAreNotGivenPCISlots() throws {
        let plan = try QemuPlanner.plan(
            SpecFixtures.spec(hvparams: ["nic_type": "ne2k_isa", "disk_type": "scsi-block"]),
            features: SpecFixtures.qemu72,
            paths: SpecFixtures.paths)
        #expect(plan.runtime.nics[0].hvinfo == DeviceInfo(id: "nic-003fc157-66a8-4e6d", driver: "ne2k_isa"))
        #expect(
            plan.runtime.disks[0].hvinfo
                == DeviceInfo(
                    id: "disk-9f5c5bd4-6f60-4f6a", driver: "scsi-block", bus: "scsi.0", channel: 0, scsiID: 0, lun: 0))
    }

    @Test func runningOutOfPCISlotsIsRefused() throws {
        let nics: [JSONValue] = (0..<30).map { i in
            let hex = String(format: "%02x", i)
            return [
                "mac": .string("aa:00:00:00:00:\(hex)"), "uuid": .string("00000000-0000-4000-8000-0000000000\(hex)"),
                "nicparams": ["link": "br0"],
            ]
        }
        let error = #expect(throws: SpecError.self) { try SpecFixtures.argv(["nics": .array(nics)]) }
        #expect(error?.field == "hvparams.kvm_pci_reservations")
    }

    @Test func planningIsDeterministic() throws {
        let spec = try SpecFixtures.spec(hvparams: [
            "vnc_bind_address": "0.0.0.0", "use_guest_agent": true, "kvm_extra": "-a 'b c'",
        ])
        let first = try QemuPlanner.plan(spec, features: SpecFixtures.qemu72, paths: SpecFixtures.paths)
        for _ in 0..<20 {
            #expect(try QemuPlanner.plan(spec, features: SpecFixtures.qemu72, paths: SpecFixtures.paths) == first)
        }
    }

    @Test func theDefaultSpecPlansExactlyThis() throws {
        #expect(
            try SpecFixtures.argv() == [
                "/usr/bin/kvm", "-name", "inst1.example.org,debug-threads=on", "-m", "256", "-smp", "1", "-pidfile",
                "/run/th/pid/inst1.example.org", "-device", "virtio-balloon", "-daemonize", "-no-shutdown", "-machine",
                "pc-i440fx-7.2",
                "-qmp", "unix:/run/th/ctrl/inst1.example.org.qmp,server=on,wait=off", "-qmp",
                "unix:/run/th/ctrl/inst1.example.org.events,server=on,wait=off", "-serial",
                "unix:/run/th/ctrl/inst1.example.org.serial,server=on,wait=off", "-usb", "-display", "none", "-uuid",
                "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
                "-blockdev",
                "driver=raw,node-name=disk-9f5c5bd4-6f60-4f6a,discard=ignore,cache.direct=off,cache.no-flush=off,file.driver=host_device,file.filename=/dev/vg/inst1-disk0,file.aio=threads,auto-read-only=off",
                "-device",
                "virtio-blk-pci,id=disk-9f5c5bd4-6f60-4f6a,bus=pci.0,addr=0xc,drive=disk-9f5c5bd4-6f60-4f6a,write-cache=on,bootindex=1",
            ])
    }

    @Test func aKernelBootedVNCInstancePlansExactlyThis() throws {
        let argv = try SpecFixtures.argv(
            hvparams: [
                "kernel_path": "/boot/vmlinuz", "initrd_path": "/boot/initrd.img", "vnc_bind_address": "0.0.0.0",
                "vnc_password_file": "/etc/taphouse/vnc.pw", "use_localtime": true, "acpi": false, "cpu_type": "host",
                "reboot_behavior": "exit", "kvm_flag": "enabled",
            ],
            ["disks": [], "disk_template": "diskless"])
        #expect(
            argv == [
                "/usr/bin/kvm", "-name", "inst1.example.org,debug-threads=on", "-m", "256", "-smp", "1", "-pidfile",
                "/run/th/pid/inst1.example.org", "-device", "virtio-balloon", "-daemonize", "-no-shutdown",
                "-no-reboot", "-no-acpi",
                "-machine", "pc-i440fx-7.2,accel=kvm", "-kernel", "/boot/vmlinuz", "-initrd", "/boot/initrd.img",
                "-append", "root=/dev/vda1 ro console=ttyS0,38400", "-qmp",
                "unix:/run/th/ctrl/inst1.example.org.qmp,server=on,wait=off", "-qmp",
                "unix:/run/th/ctrl/inst1.example.org.events,server=on,wait=off", "-serial",
                "unix:/run/th/ctrl/inst1.example.org.serial,server=on,wait=off", "-usb", "-usbdevice", "tablet", "-vnc",
                ":5100,password=on", "-rtc", "base=localtime", "-cpu", "host", "-uuid",
                "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
            ])
    }

    @Test func vncOnAnInterfaceUsesItsAddressAndFailsWithoutOne() throws {
        let spec = try SpecFixtures.spec(hvparams: ["vnc_bind_address": "br0"])
        let plan = try QemuPlanner.plan(
            spec, features: SpecFixtures.qemu72, paths: SpecFixtures.paths,
            interfaceAddresses: ["br0": ["fe80::1", "192.0.2.7"]])
        #expect(plan.argv.contains(run: ["-vnc", "192.0.2.7:5100"]))
        let error = #expect(throws: SpecError.self) {
            try QemuPlanner.plan(spec, features: SpecFixtures.qemu72, paths: SpecFixtures.paths)
        }
        #expect(error?.description == "hvparams.vnc_bind_address: interface br0 has no IPv4 address on this node")
    }

    @Test func spiceOnAnInterfaceUsesTheRequestedFamily() throws {
        let spec = try SpecFixtures.spec(hvparams: ["spice_bind": "br0", "spice_ip_version": 6])
        let plan = try QemuPlanner.plan(
            spec, features: SpecFixtures.qemu72, paths: SpecFixtures.paths,
            interfaceAddresses: ["br0": ["192.0.2.7", "2001:db8::7"]])
        #expect(plan.argv.contains(run: ["-spice", "addr=2001:db8::7,port=11000,disable-ticketing=on,ipv6=on"]))
    }
}

@Suite("Device ids")
struct DeviceIDTests {
    @Test func nicsWhoseUUIDsShareTheirFirstThreeGroupsAreRefusedNamingBoth() throws {
        let text = """
            {"name": "web1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31", "beparams": {"maxmem": 128, "vcpus": 1},
             "disks": [], "nics": [
               {"mac": "52:54:00:00:00:01", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751390", "nicparams": {"mode": "bridged", "link": "br0"}},
               {"mac": "52:54:00:00:00:02", "uuid": "003fc157-66a8-4e6d-9999-ec4f69751391", "nicparams": {"mode": "bridged", "link": "br0"}}]}
            """
        let spec = try InstanceSpec.parse(json: Data(text.utf8))
        let features = QemuFeatures(version: QemuVersion(7, 2, 0))
        #expect(
            throws: SpecError(
                "nics[1].uuid",
                "gives the device id nic-003fc157-66a8-4e6d, as nics[0].uuid does: uuids must differ in their first three groups"
            )
        ) {
            try QemuPlanner.plan(spec, features: features, paths: StateDirectory("/run/taphouse"))
        }
    }
}

@Suite("NIC arguments at execution")
struct NICArgumentTests {
    static func runtime(nicType: String = "paravirtual") throws -> QemuRuntime {
        let text = """
            {"name": "web1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31", "beparams": {"maxmem": 128, "vcpus": 1},
             "hvparams": {"nic_type": "\(nicType)"}, "disks": [], "nics": [
               {"mac": "52:54:00:00:00:01", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751390", "nicparams": {"mode": "bridged", "link": "br0"}},
               {"mac": "52:54:00:00:00:02", "ip": "192.0.2.10", "uuid": "113fc157-66a8-4e6d-8b7e-ec4f69751391", "nicparams": {"mode": "routed", "link": "100"}}]}
            """
        let spec = try InstanceSpec.parse(json: Data(text.utf8))
        return try QemuPlanner.plan(
            spec, features: QemuFeatures(version: QemuVersion(7, 2, 0)), paths: StateDirectory("/run/t")
        ).runtime
    }

    @Test func oneQueueIsFdAndSeveralAreFdsWithVhostAndMultiqueueVectors() throws {
        let argv = try QemuPlanner.nicArguments(
            Self.runtime(), taps: [TapHandles(fds: [3]), TapHandles(fds: [4, 5], vhostFds: [6, 7])])
        #expect(
            argv == [
                "-netdev", "tap,id=nic-003fc157-66a8-4e6d,fd=3",
                "-device",
                "virtio-net-pci,mac=52:54:00:00:00:01,netdev=nic-003fc157-66a8-4e6d,id=nic-003fc157-66a8-4e6d,bus=pci.0,addr=0xc",
                "-netdev", "tap,id=nic-113fc157-66a8-4e6d,fds=4:5,vhost=on,vhostfds=6:7",
                "-device",
                "virtio-net-pci,mac=52:54:00:00:00:02,netdev=nic-113fc157-66a8-4e6d,id=nic-113fc157-66a8-4e6d,bus=pci.0,addr=0xd,mq=on,vectors=6",
            ])
    }

    @Test func mismatchedTapsAndNonVirtioMultiqueueAreRefused() throws {
        #expect(throws: SpecError("nics", "2 NICs but 1 taps were opened")) {
            try QemuPlanner.nicArguments(Self.runtime(), taps: [TapHandles(fds: [3])])
        }
        #expect(throws: SpecError("nics[1]", "2 queues need a virtio NIC, not e1000")) {
            try QemuPlanner.nicArguments(
                Self.runtime(nicType: "e1000"), taps: [TapHandles(fds: [3]), TapHandles(fds: [4, 5])])
        }
    }
}

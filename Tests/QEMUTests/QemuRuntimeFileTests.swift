import Foundation
import Testing

@testable import QEMU

// Fixtures ganeti-*.json are Ganeti's own files, copied unchanged from github.com/ganeti/ganeti:
// - ganeti-kvm_runtime.json: test/data/kvm_runtime.json (a 2026 four-element runtime file).
// - ganeti-serialized_nics.json, ganeti-serialized_disks.json: test/py/unit/test_data/serialized_{nics,disks}.json
//   (the NIC list and the [disk, link, uri] list of a runtime, as Ganeti's KVMRuntime.serialize writes them).

/// Reads a fixture's bytes.
private func runtimeFixture(_ name: String) throws -> Data {
    let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/\(name)")
    return try Data(contentsOf: url)
}

/// Loads runtime file text.
private func load(_ text: String, name: String = "runtime") throws(SpecError) -> LoadedRuntime {
    try QemuRuntime.load(Data(text.utf8), name: name)
}

/// A Ganeti 2026 file with the given argv (JSON array text) and hvparams (JSON object text), no
/// NICs, no disks.
private func file(argv: String, hvparams: String = "{}") -> String {
    "[\(argv), [], \(hvparams), []]"
}

/// A 2012 runtime as Ganeti 2.6 wrote it (section C.2's argv): numbers left as numbers, VNC with
/// the old TLS options, `-localtime` and `-chroot`, a NIC without uuid, only 2012's parameters.
private let ganeti2012 = """
    [["/usr/bin/kvm", "-name", "inst1.example.com", "-m", 1024, "-smp", 1,
      "-pidfile", "/var/run/ganeti/kvm-hypervisor/pid/inst1.example.com", "-daemonize",
      "-boot", "c", "-drive", "file=/var/run/ganeti/instance-disks/inst1.example.com:0,format=raw,if=virtio",
      "-kernel", "/boot/vmlinuz-2.6-kvmU", "-append", "root=/dev/vda1 ro console=ttyS0,38400",
      "-monitor", "unix:/var/run/ganeti/kvm-hypervisor/ctrl/inst1.example.com.monitor,server,nowait",
      "-serial", "unix:/var/run/ganeti/kvm-hypervisor/ctrl/inst1.example.com.serial,server,nowait",
      "-usbdevice", "tablet", "-vnc", "192.0.2.10:10,tls,x509verify=/etc/ganeti/x509,password",
      "-localtime", "-chroot", "/var/run/ganeti/kvm-hypervisor/chroot/inst1.example.com"],
     [{"mac": "AA:00:00:35:D0:6E", "ip": null, "nicparams": {"mode": "bridged", "link": "xen-br0"}}],
     {"kernel_path": "/boot/vmlinuz-2.6-kvmU", "initrd_path": "", "root_path": "/dev/vda1", "kernel_args": "ro",
      "acpi": true, "serial_console": true, "vnc_bind_address": "192.0.2.10", "vnc_tls": true,
      "vnc_x509_path": "/etc/ganeti/x509", "vnc_x509_verify": true,
      "vnc_password_file": "/etc/ganeti/vnc-cluster-password", "spice_bind": "", "spice_ip_version": 0,
      "floppy_image_path": "", "cdrom_image_path": "", "cdrom2_image_path": "", "boot_order": "disk",
      "nic_type": "paravirtual", "disk_type": "paravirtual", "cdrom_disk_type": "", "disk_cache": "default",
      "usb_mouse": "", "keymap": "", "migration_port": 8102, "migration_bandwidth": 32,
      "migration_downtime": 30, "migration_mode": "live", "use_localtime": true, "security_model": "none",
      "security_domain": "", "kvm_flag": "", "vhost_net": false, "use_chroot": true, "mem_path": "",
      "reboot_behavior": "reboot"}]
    """

/// A runtime as Ganeti 2.10-2.15 wrote it: four elements, but NICs and disks placed with the
/// legacy `pci` slot instead of `hvinfo`, Ganeti's extra keys, disk_discard `default`, and a
/// parameter taphouse does not have.
private let ganetiLegacySlots = """
    [["/usr/bin/kvm", "-name", "inst2", "-m", 2048, "-smp", "1", "-balloon", "virtio", "-daemonize",
      "-vnc", ":5100"],
     [{"mac": "aa:00:00:bf:2f:16", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751396", "pci": 6, "ip": null,
       "name": null, "network": null, "netinfo": null, "serial_no": 3,
       "nicparams": {"mode": "bridged", "link": "br0", "vlan": ".100"}}],
     {"nic_type": "paravirtual", "disk_type": "paravirtual", "disk_discard": "default",
      "virtio_disk_iothreads": 0},
     [[{"uuid": "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79", "pci": 10, "dev_type": "plain", "iv_name": "disk/0",
        "logical_id": ["autovg", "9f5c5bd4.disk0"], "mode": "rw", "size": 512, "name": null, "params": {}},
       "/var/run/ganeti/instance-disks/inst2:0", null]]]
    """

@Suite struct QemuRuntimeFileTests {
    /// Two NICs and two disks with placements, non-default parameters.
    static func sample() throws -> QemuRuntime {
        let hv = try HVParams.parse(
            .object([
                "disk_cache": .string("none"), "vhost_net": .bool(true), "migration_port": .int(9000),
                "kernel_args": .string("ro quiet"), "nic_type": .string("e1000"),
            ]))
        let nics = [
            NICSpec(
                mac: "aa:00:00:12:34:56", ip: "192.0.2.10", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", name: "eth0",
                mode: "routed", link: "100", vlan: nil, network: "net1",
                hvinfo: DeviceInfo(id: "nic-003fc157-66a8-4e6d", driver: "e1000", bus: "pci.0", addr: "0xd")),
            NICSpec(
                mac: "aa:00:00:65:43:21", ip: nil, uuid: "4564e5d5-8df4-40ec-8dee-b5b0d6067495", name: nil,
                mode: "bridged", link: "br0", vlan: "", network: nil,
                hvinfo: DeviceInfo(id: "nic-4564e5d5-8df4-40ec", driver: "e1000", bus: "pci.0", addr: "0xe")),
        ]
        let disks = [
            DiskSpec(
                uuid: "7c079136-2573-4112-82d0-0d3d2aa90d8f", name: "disk0", size: 10240, mode: "rw", devType: "plain",
                path: "/var/run/ganeti/instance-disks/inst1:0", uri: nil,
                hvinfo: DeviceInfo(id: "disk-7c079136-2573-4112", driver: "virtio-blk-pci", bus: "pci.0", addr: "0xc")),
            DiskSpec(
                uuid: "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79", name: nil, size: nil, mode: "ro", devType: "rbd",
                path: "/var/run/ganeti/instance-disks/inst1:1", uri: "rbd:pool/image:id=admin",
                hvinfo: DeviceInfo(
                    id: "disk-9f5c5bd4-6f60-480b", driver: "scsi-hd", bus: "scsi.0", channel: 0, scsiID: 1, lun: 0)),
        ]
        let argv = ["/usr/bin/kvm", "-name", "inst1", "-m", "1024", "-vnc", ":10,tls-creds=vnctls0,password"]
        return QemuRuntime(argv: argv, nics: nics, hvparams: hv, disks: disks)
    }

    // MARK: taphouse's own files

    @Test("a runtime comes back equal from its file, with nothing upgraded or dropped") func roundTrip() throws {
        let runtime = try Self.sample()
        let loaded = try QemuRuntime.load(runtime.serialized())
        #expect(loaded.runtime == runtime)
        #expect(loaded.upgrades == [])
        #expect(loaded.droppedParameters == [])
    }

    @Test("serializing the same runtime twice gives the same bytes") func deterministic() throws {
        let runtime = try Self.sample()
        #expect(runtime.serialized() == runtime.serialized())
        let reloaded = try QemuRuntime.load(runtime.serialized()).runtime
        #expect(reloaded.serialized() == runtime.serialized())
    }

    @Test("the file has Ganeti's layout: four elements, disk triples, NIC params, absent fields left out") func layout()
        throws
    {
        let json = try JSONValue.parse(try Self.sample().serialized())
        let top = try #require(json.arrayValue)
        #expect(top.count == 4)
        let nics = try #require(top[1].arrayValue)
        #expect(nics[0]["nicparams"] == .object(["mode": .string("routed"), "link": .string("100")]))
        #expect(
            nics[1]["nicparams"] == .object(["mode": .string("bridged"), "link": .string("br0"), "vlan": .string("")]))
        #expect(nics[1]["ip"] == nil)
        #expect(
            nics[0]["hvinfo"]
                == .object([
                    "id": .string("nic-003fc157-66a8-4e6d"), "driver": .string("e1000"), "bus": .string("pci.0"),
                    "addr": .string("0xd"),
                ]))
        let disks = try #require(top[3].arrayValue)
        #expect(disks[0].arrayValue?.count == 3)
        #expect(disks[0].arrayValue?[1] == .string("/var/run/ganeti/instance-disks/inst1:0"))
        #expect(disks[0].arrayValue?[2] == .null)
        #expect(disks[1].arrayValue?[2] == .string("rbd:pool/image:id=admin"))
        #expect(disks[1].arrayValue?[0]["hvinfo"]?["scsi-id"] == .int(1))
        #expect(disks[0].arrayValue?[0]["dev_type"] == .string("plain"))
        #expect(top[2].objectValue?.count == HVCatalog.parameters.count)
    }

    // MARK: Ganeti 2012

    @Test("a Ganeti 2012 file loads: numbers as text, localtime and VNC TLS upgraded, chroot removed")
    func ganeti2012Argv() throws {
        let loaded = try load(ganeti2012)
        #expect(
            loaded.runtime.argv == [
                "/usr/bin/kvm", "-name", "inst1.example.com", "-m", "1024", "-smp", "1",
                "-pidfile", "/var/run/ganeti/kvm-hypervisor/pid/inst1.example.com", "-daemonize",
                "-boot", "c", "-drive", "file=/var/run/ganeti/instance-disks/inst1.example.com:0,format=raw,if=virtio",
                "-kernel", "/boot/vmlinuz-2.6-kvmU", "-append", "root=/dev/vda1 ro console=ttyS0,38400",
                "-monitor", "unix:/var/run/ganeti/kvm-hypervisor/ctrl/inst1.example.com.monitor,server,nowait",
                "-serial", "unix:/var/run/ganeti/kvm-hypervisor/ctrl/inst1.example.com.serial,server,nowait",
                "-usbdevice", "tablet",
                "-object", "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/ganeti/x509,verify-peer=yes",
                "-vnc", "192.0.2.10:10,tls-creds=vnctls0,password",
                "-rtc", "base=localtime",
            ])
        #expect(loaded.runtime.disks == [])
    }

    @Test("a Ganeti 2012 NIC without uuid gets a new one and keeps its params") func ganeti2012NIC() throws {
        let nic = try #require(try load(ganeti2012).runtime.nics.first)
        #expect(UUIDText.isValid(nic.uuid))
        #expect(nic.uuid == nic.uuid.lowercased())
        #expect(nic.mac == "aa:00:00:35:d0:6e")
        #expect(nic.ip == nil)
        #expect(nic.mode == "bridged")
        #expect(nic.link == "xen-br0")
        #expect(nic.vlan == nil)
        #expect(nic.hvinfo == nil)
        #expect(try load(ganeti2012).runtime.nics[0].uuid != nic.uuid)
    }

    @Test("a Ganeti 2012 file gets the newer parameters from the catalog and keeps its own") func ganeti2012HVParams()
        throws
    {
        let hv = try load(ganeti2012).runtime.hvparams
        #expect(hv.string("kvm_path") == "/usr/bin/kvm")
        #expect(hv.int("serial_speed") == 38400)
        #expect(hv.string("disk_aio") == "threads")
        #expect(hv.string("disk_discard") == "ignore")
        #expect(hv.int("kvm_pci_reservations") == 12)
        #expect(hv.string("kernel_path") == "/boot/vmlinuz-2.6-kvmU")
        #expect(hv.bool("use_chroot"))
        #expect(hv.bool("vnc_x509_verify"))
        #expect(hv.values.count == HVCatalog.parameters.count)
    }

    @Test("a Ganeti 2012 file reports what loading changed") func ganeti2012Upgrades() throws {
        let loaded = try load(ganeti2012)
        let upgrades = loaded.upgrades
        #expect(upgrades.contains("-localtime -> -rtc base=localtime"))
        #expect(
            upgrades.contains(
                "-vnc 192.0.2.10:10,tls,x509verify=/etc/ganeti/x509,password -> -object "
                    + "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/ganeti/x509,verify-peer=yes "
                    + "-vnc 192.0.2.10:10,tls-creds=vnctls0,password"))
        #expect(
            upgrades.contains {
                $0.hasPrefix("-chroot /var/run/ganeti/kvm-hypervisor/chroot/inst1.example.com removed")
            })
        #expect(upgrades.contains { $0.hasPrefix("runtime[1][0]: NIC without uuid") })
        #expect(upgrades.contains { $0.hasPrefix("hvparams missing from the file") && $0.contains("serial_speed") })
        #expect(upgrades.contains("Ganeti 2012 layout without a disk list: no disks added"))
        #expect(loaded.droppedParameters == [])
    }

    // MARK: Ganeti 2026 and the versions between

    @Test("legacy pci slots become hvinfo with Ganeti's hot-plug ids") func legacySlots() throws {
        let runtime = try load(ganetiLegacySlots).runtime
        #expect(
            runtime.nics[0].hvinfo
                == DeviceInfo(id: "hotnic-003fc157-pci-6", driver: "virtio-net-pci", bus: "pci.0", addr: "0x6"))
        #expect(
            runtime.disks[0].hvinfo
                == DeviceInfo(id: "hotdisk-9f5c5bd4-pci-10", driver: "virtio-blk-pci", bus: "pci.0", addr: "0xa"))
    }

    @Test("a legacy NIC slot takes its driver from nic_type") func legacySlotDrivers() throws {
        let text = """
            [[], [{"mac": "aa:00:00:00:00:01", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751396", "pci": 7}],
             {"nic_type": "rtl8139", "disk_type": "ide"},
             [[{"uuid": "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79", "pci": 8}, "/dev/xenvg/disk0", null]]]
            """
        let runtime = try load(text).runtime
        #expect(runtime.nics[0].hvinfo?.driver == "rtl8139")
        #expect(runtime.disks[0].hvinfo?.driver == "ide-hd")
    }

    @Test("a file with legacy slots loads the rest of its fields and ignores Ganeti's extra keys") func legacyFields()
        throws
    {
        let loaded = try load(ganetiLegacySlots)
        let nic = loaded.runtime.nics[0]
        #expect(nic.uuid == "003fc157-66a8-4e6d-8b7e-ec4f69751396")
        #expect(nic.vlan == ".100")
        #expect(nic.name == nil)
        let disk = loaded.runtime.disks[0]
        #expect(disk.path == "/var/run/ganeti/instance-disks/inst2:0")
        #expect(disk.uri == nil)
        #expect(disk.size == 512)
        #expect(disk.devType == "plain")
        #expect(disk.mode == "rw")
        #expect(
            loaded.runtime.argv == [
                "/usr/bin/kvm", "-name", "inst2", "-m", "2048", "-smp", "1",
                "-device", "virtio-balloon", "-daemonize", "-vnc", ":5100",
            ])
        #expect(loaded.droppedParameters == ["virtio_disk_iothreads"])
        #expect(
            loaded.upgrades.contains(
                "runtime[1][0]: legacy pci slot 6 -> hvinfo virtio-net-pci hotnic-003fc157-pci-6 at pci.0 0x6"))
        #expect(
            loaded.upgrades.contains(
                "runtime[3][0][0]: legacy pci slot 10 -> hvinfo virtio-blk-pci hotdisk-9f5c5bd4-pci-10 at pci.0 0xa"))
    }

    @Test("an upgraded file written again loads with nothing left to upgrade") func upgradeIdempotent() throws {
        let first = try load(ganetiLegacySlots).runtime
        let second = try QemuRuntime.load(first.serialized())
        #expect(second.runtime == first)
        #expect(second.upgrades == [])
    }

    // MARK: single upgrades

    @Test(
        "old VNC TLS options become a tls-creds object before -vnc",
        arguments: [
            (
                ":5100,tls,x509verify=/etc/ganeti/x509,password",
                "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/ganeti/x509,verify-peer=yes",
                ":5100,tls-creds=vnctls0,password"
            ),
            (
                "192.0.2.1:10,tls,x509=/etc/ganeti/x509",
                "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/ganeti/x509,verify-peer=no",
                "192.0.2.1:10,tls-creds=vnctls0"
            ),
            (":10,tls,password", "tls-creds-anon,id=vnctls0,endpoint=server", ":10,tls-creds=vnctls0,password"),
            (
                "unix:/var/run/ganeti/kvm-hypervisor/ctrl/a.vnc,x509=/etc/x509,tls",
                "tls-creds-x509,id=vnctls0,endpoint=server,dir=/etc/x509,verify-peer=no",
                "unix:/var/run/ganeti/kvm-hypervisor/ctrl/a.vnc,tls-creds=vnctls0"
            ),
        ])
    func vncTLS(value: String, object: String, vnc: String) throws {
        let runtime = try load(file(argv: #"["/usr/bin/kvm", "-vnc", "\#(value)", "-daemonize"]"#)).runtime
        #expect(runtime.argv == ["/usr/bin/kvm", "-object", object, "-vnc", vnc, "-daemonize"])
    }

    @Test("a -vnc without the old TLS options is kept", arguments: [":5100", ":10,tls-creds=vnctls0,password"])
    func vncKept(value: String) throws {
        let loaded = try load(file(argv: #"["/usr/bin/kvm", "-vnc", "\#(value)"]"#))
        #expect(loaded.runtime.argv == ["/usr/bin/kvm", "-vnc", value])
        #expect(!loaded.upgrades.contains { $0.hasPrefix("-vnc") })
    }

    @Test("-chroot is removed also from runtimes without -vnc (Ganeti's J.8)") func chrootRemoved() throws {
        let loaded = try load(file(argv: #"["/usr/bin/kvm", "-name", "a", "-chroot", "/var/lib/chroot/a", "-S"]"#))
        #expect(loaded.runtime.argv == ["/usr/bin/kvm", "-name", "a", "-S"])
    }

    @Test(
        "-balloon virtio becomes -device virtio-balloon with its arguments",
        arguments: [
            ("virtio", "virtio-balloon"), ("virtio,deflate-on-oom=on", "virtio-balloon,deflate-on-oom=on"),
        ])
    func balloon(value: String, device: String) throws {
        let loaded = try load(file(argv: #"["/usr/bin/kvm", "-balloon", "\#(value)", "-daemonize"]"#))
        #expect(loaded.runtime.argv == ["/usr/bin/kvm", "-device", device, "-daemonize"])
        #expect(loaded.upgrades.contains("-balloon \(value) -> -device \(device)"))
    }

    @Test(
        "an invalid disk_discard becomes ignore, also without -vnc",
        arguments: [#""default""#, #""""#, "null", "1"])
    func discardFixed(value: String) throws {
        let loaded = try load(file(argv: #"["/usr/bin/kvm"]"#, hvparams: #"{"disk_discard": \#(value)}"#))
        #expect(loaded.runtime.hvparams.string("disk_discard") == "ignore")
        #expect(loaded.upgrades.contains("hvparam disk_discard \(value) -> \"ignore\""))
    }

    @Test("a valid disk_discard is kept") func discardKept() throws {
        let loaded = try load(file(argv: "[]", hvparams: #"{"disk_discard": "unmap"}"#))
        #expect(loaded.runtime.hvparams.string("disk_discard") == "unmap")
        #expect(!loaded.upgrades.contains { $0.contains("disk_discard") })
    }

    @Test("hvparams are not held to the cross-parameter rules") func noCrossRules() throws {
        // kernel_path without root_path is refused in a spec; an instance started that way keeps it.
        let hv = try load(file(argv: "[]", hvparams: #"{"kernel_path": "/boot/vmlinuz", "root_path": ""}"#))
            .runtime.hvparams
        #expect(hv.string("kernel_path") == "/boot/vmlinuz")
        #expect(hv.string("root_path") == "")
    }

    // MARK: refusals

    /// Broken files and the refusal each must give.
    static let refusals: [(String, String)] = [
        (#"[["/usr/bin/kvm", {"a": 1}], [], {}, []]"#, "runtime[0][1]: expected a string or a number, got an object"),
        (#"[["/usr/bin/kvm", true], [], {}]"#, "runtime[0][1]: expected a string or a number, got a boolean"),
        (#"[[], [{"mac": 12}], {}]"#, "runtime[1][0].mac: expected a string, got a number"),
        (#"[[], [{"nicparams": {"mode": "bridged"}}], {}]"#, "runtime[1][0].mac: a value is required"),
        (
            #"[[], [{"mac": "aa:00:00:00:00:01", "uuid": 7}], {}]"#,
            "runtime[1][0].uuid: expected a string, got a number"
        ),
        (
            #"[[], [{"mac": "aa:00:00:00:00:01", "nicparams": {"link": 5}}], {}]"#,
            "runtime[1][0].nicparams.link: expected a string, got a number"
        ),
        (
            #"[[], [{"mac": "aa:00:00:00:00:01", "pci": "6"}], {}]"#,
            "runtime[1][0].pci: expected an integer, got a string"
        ),
        (
            #"[[], [{"mac": "aa:00:00:00:00:01", "hvinfo": {"id": "nic-1"}}], {}]"#,
            "runtime[1][0].hvinfo.driver: a value is required"
        ),
        (#"[[], [], {"acpi": "yes"}]"#, "runtime[2].acpi: expected a boolean, got a string"),
        (
            #"[[], [], {"nic_type": "virtio"}]"#,
            #"runtime[2].nic_type: "virtio" is not one of "#
                + HVCatalog.nicTypes.joined(separator: ", ")
        ),
        (#"[[], [], []]"#, "runtime[2]: expected the hypervisor parameters, an object, got an array"),
        (#"[[], {}, {}]"#, "runtime[1]: expected an array of NICs, got an object"),
        (
            #"[[], [], {}, [[{"uuid": "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79"}, "/dev/x"]]]"#,
            "runtime[3][0]: expected [disk, path, uri], got 2 elements"
        ),
        (
            #"[[], [], {}, [[{"uuid": "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79"}, null, null]]]"#,
            "runtime[3][0][1]: expected the disk's path, a string, got null"
        ),
        (
            #"[[], [], {}, [[{"uuid": "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79", "size": "1G"}, "/dev/x", null]]]"#,
            "runtime[3][0][0].size: expected an integer, got a string"
        ),
        (#"{"argv": []}"#, "runtime: expected an array [argv, nics, hvparams, disks], got an object"),
        (#"[[], []]"#, "runtime: expected 4 elements [argv, nics, hvparams, disks] (3 for Ganeti 2012), got 2"),
        (
            #"[[], [], {}, [], []]"#,
            "runtime: expected 4 elements [argv, nics, hvparams, disks] (3 for Ganeti 2012), got 5"
        ),
    ]

    @Test("a broken file is refused naming the element or field", arguments: refusals)
    func refused(text: String, message: String) {
        let error = #expect(throws: SpecError.self) { try load(text) }
        #expect(error?.description == message)
    }

    @Test("text that is not JSON is refused naming the file") func notJSON() {
        let error = #expect(throws: SpecError.self) { try load("kvm -m 1024", name: "inst1.runtime") }
        #expect(error?.field == "inst1.runtime")
        #expect(error?.reason.hasPrefix("not valid JSON") == true)
    }

    @Test("refusals use the file name given") func fileName() {
        let error = #expect(throws: SpecError.self) { try load(#"[[], [{"mac": 12}], {}]"#, name: "inst1.runtime") }
        #expect(error?.field == "inst1.runtime[1][0].mac")
    }

    // MARK: Ganeti's own files

    @Test("Ganeti's kvm_runtime.json fixture loads with its placements") func ganetiRuntimeFixture() throws {
        let loaded = try QemuRuntime.load(try runtimeFixture("ganeti-kvm_runtime.json"))
        let runtime = loaded.runtime
        // What Ganeti's TestGetRuntimeInfo expects of this file.
        #expect(runtime.nics.first { $0.uuid == "003fc157-66a8-4e6d-8b7e-ec4f69751396" }?.hvinfo?.addr == "0x8")
        #expect(runtime.disks.first { $0.uuid == "9f5c5bd4-6f60-480b-acdc-9bb1a4b7df79" }?.hvinfo?.addr == "0xa")
        #expect(runtime.argv.firstRange(of: ["-m", "1024"]) != nil)
        #expect(runtime.argv.firstRange(of: ["-device", "virtio-balloon", "-daemonize"]) != nil)
        #expect(!runtime.argv.contains("-balloon"))
        #expect(runtime.argv.suffix(2) == ["-vnc", ":5100"])
        #expect(runtime.nics[0].link == "br0")
        #expect(
            runtime.disks.map(\.path) == [
                "/var/run/ganeti/instance-disks/xen-test-inst2:0", "/var/run/ganeti/instance-disks/xen-test-inst2:1",
            ])
        // Kept as Ganeti wrote it (Ganeti used it only for userspace access).
        #expect(runtime.disks[0].uri == "rbd://123451214123/")
        #expect(runtime.disks[0].devType == "lvm")
        #expect(runtime.hvparams.string("spice_tls_ciphers") == "HIGH:-DES:-3DES:-EXPORT:-ADH")
        #expect(runtime.hvparams.string("vnc_bind_address") == "0.0.0.0")
        #expect(loaded.droppedParameters == [])
        #expect(loaded.upgrades.contains("-balloon virtio -> -device virtio-balloon"))
    }

    @Test("Ganeti's serialized NICs and disks load into a runtime and keep their uuids") func ganetiNICAndDiskFixtures()
        throws
    {
        let nics = String(decoding: try runtimeFixture("ganeti-serialized_nics.json"), as: UTF8.self)
        let disks = String(decoding: try runtimeFixture("ganeti-serialized_disks.json"), as: UTF8.self)
        let runtime = try load(#"[["/usr/bin/kvm"], \#(nics), {}, \#(disks)]"#).runtime
        let nic = try #require(runtime.nics.first)
        #expect(nic.uuid == "4564e5d5-8df4-40ec-8dee-b5b0d6067495")
        #expect(nic.ip == "10.10.1.18")
        #expect(nic.network == "e0400df0-d58c-4bed-8849-5b6da160b8bb")
        #expect(nic.vlan == "")
        #expect(
            nic.hvinfo == DeviceInfo(id: "nic-4564e5d5-8df4-40ec", driver: "virtio-net-pci", bus: "pci.0", addr: "0xd"))
        let disk = try #require(runtime.disks.first)
        #expect(disk.uuid == "8db0f07a-f486-481e-b254-4c90123f61f9")
        #expect(disk.devType == "drbd")
        #expect(disk.size == 10240)
        #expect(disk.path == "/var/run/ganeti/instance-disks/test2:0")
        #expect(disk.hvinfo?.addr == "0xc")
        #expect(try QemuRuntime.load(runtime.serialized()).runtime == runtime)
    }
}

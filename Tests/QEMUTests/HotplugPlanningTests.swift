import Foundation
import Testing

@testable import QEMU

/// Where a hot-added NIC or disk goes and what qemu is told: the lowest PCI slot neither the
/// runtime nor qemu holds, the refusals that name their field, and QMP arguments that say what
/// the command line of a start says.
@Suite("Hot-plug planning")
struct HotplugPlanningTests {
    static func runtime(
        hvparams: [String: JSONValue] = [:], _ changes: [String: JSONValue] = [:]
    ) throws
        -> QemuRuntime
    {
        try QemuPlanner.plan(
            SpecFixtures.spec(hvparams: hvparams, changes), features: SpecFixtures.qemu72, paths: SpecFixtures.paths
        ).runtime
    }

    static func nic(_ mac: String, uuid: String = "22222222-3333-4444-8555-666666666666") throws -> NICSpec {
        try InstanceSpec.parseNIC(
            json: Data(#"{"mac": "\#(mac)", "uuid": "\#(uuid)", "nicparams": {"link": "br1"}}"#.utf8))
    }

    @Test func aNICTakesTheLowestSlotNeitherTheRuntimeNorQemuHolds() throws {
        var runtime = try Self.runtime()
        // The disk holds 0xc and the NIC 0xd; qemu reports 0xe taken (a device it placed itself).
        let placed = try runtime.addNIC(try Self.nic("aa:00:00:00:00:09"), takenSlots: [0, 1, 2, 3, 14])
        #expect(
            placed.hvinfo
                == DeviceInfo(id: "nic-22222222-3333-4444", driver: "virtio-net-pci", bus: "pci.0", addr: "0xf"))
        #expect(runtime.nics.count == 2)
        #expect(runtime.nics.last == placed)
        // A start from the saved runtime puts it where the hot-plug did.
        let saved = try QemuRuntime.load(runtime.serialized()).runtime
        #expect(saved.nics[1].hvinfo?.addr == "0xf")
    }

    @Test func refusalsNameTheField() throws {
        var runtime = try Self.runtime()
        let before = runtime
        let taken = runtime.nics[0].mac
        #expect(throws: SpecError("nic.mac", "\(taken) is the MAC of NIC 0 already")) {
            try runtime.addNIC(try Self.nic(taken), takenSlots: [])
        }
        #expect(
            throws: SpecError("nic.uuid", "gives the device id nic-003fc157-66a8-4e6d, which nics[0] has already")
        ) {
            try runtime.addNIC(try Self.nic("aa:00:00:00:00:09", uuid: SpecFixtures.nicUUID), takenSlots: [])
        }
        #expect(throws: SpecError("hvparams.kvm_pci_reservations", "no PCI slot left (slots 12 to 31 are all taken)")) {
            try runtime.addNIC(try Self.nic("aa:00:00:00:00:09"), takenSlots: Set(14...31))
        }
        #expect(throws: SpecError("index", "the instance has no NIC 1 (it has 1)")) { try runtime.removeNIC(at: 1) }
        #expect(runtime == before)
        var isa = try Self.runtime(hvparams: ["nic_type": "ne2k_isa"])
        #expect(throws: SpecError("hvparams.nic_type", "ne2k_isa NICs sit on no PCI bus and cannot be hot-plugged")) {
            try isa.addNIC(try Self.nic("aa:00:00:00:00:09"), takenSlots: [])
        }
        var ide = try Self.runtime(hvparams: ["disk_type": "ide"])
        let disk = try InstanceSpec.parseDisk(
            json: Data(#"{"uuid": "\#(SpecFixtures.disk2UUID)", "path": "/dev/c"}"#.utf8))
        #expect(
            throws: SpecError("hvparams.disk_type", "ide disks sit on no PCI or SCSI bus and cannot be hot-plugged")
        ) {
            try ide.addDisk(disk, takenSlots: [])
        }
        var same = try Self.runtime()
        let again = try InstanceSpec.parseDisk(
            json: Data(#"{"uuid": "\#(SpecFixtures.disk2UUID)", "path": "\#(same.disks[0].path)"}"#.utf8))
        #expect(throws: SpecError("disk.path", "\(same.disks[0].path) is disk 0's already")) {
            try same.addDisk(again, takenSlots: [])
        }
    }

    @Test func aMultiqueueNICInAChrootIsTheNetdevAndDeviceOfAStart() throws {
        var runtime = try Self.runtime(hvparams: ["virtio_net_queues": 2, "use_chroot": true])
        let placed = try runtime.addNIC(try Self.nic("aa:00:00:00:00:09"), takenSlots: [])
        let queues = runtime.queues(placed)
        #expect(queues == 2)
        let (netdev, device) = try runtime.hotplugArguments(placed, queues: queues, vhost: true, chrooted: true)
        #expect(
            netdev == [
                "type": "tap", "id": "nic-22222222-3333-4444",
                "fds": "nic-22222222-3333-4444-0:nic-22222222-3333-4444-1",
                "vhost": true, "vhostfds": "nic-22222222-3333-4444-vhost-0:nic-22222222-3333-4444-vhost-1",
            ])
        #expect(
            device == [
                "driver": "virtio-net-pci", "id": "nic-22222222-3333-4444", "netdev": "nic-22222222-3333-4444",
                "mac": "aa:00:00:00:00:09", "bus": "pci.0", "addr": "0xe", "mq": true, "vectors": 6, "romfile": "",
            ])
    }

    @Test func aDiskIsTheBlockdevAndDeviceOfAStartNested() throws {
        var runtime = try Self.runtime(hvparams: ["disk_cache": "none"])
        let disk = try InstanceSpec.parseDisk(
            json: Data(#"{"uuid": "\#(SpecFixtures.disk2UUID)", "path": "/dev/c", "mode": "ro"}"#.utf8))
        let placed = try runtime.addDisk(disk, takenSlots: [])
        #expect(placed.hvinfo?.addr == "0xe")
        let (blockdev, device) = try runtime.hotplugArguments(
            disk: 1, features: SpecFixtures.qemu72, filename: "/dev/fdset/3")
        #expect(
            blockdev == [
                "driver": "raw", "node-name": "disk-aaaaaaaa-bbbb-4ccc", "discard": "ignore",
                "cache": ["direct": true, "no-flush": false],
                "file": ["driver": "host_device", "filename": "/dev/fdset/3", "aio": "threads"], "read-only": true,
                "auto-read-only": false,
            ])
        #expect(
            device == [
                "driver": "virtio-blk-pci", "id": "disk-aaaaaaaa-bbbb-4ccc", "bus": "pci.0", "addr": "0xe",
                "drive": "disk-aaaaaaaa-bbbb-4ccc", "write-cache": "on",
            ])
        // The start's command line says the same of it, with the path.
        let argv = try QemuPlanner.diskArguments(runtime, features: SpecFixtures.qemu72)
        #expect(
            argv.suffix(4) == [
                "-blockdev",
                "driver=raw,node-name=disk-aaaaaaaa-bbbb-4ccc,discard=ignore,cache.direct=on,cache.no-flush=off,"
                    + "file.driver=host_device,file.filename=/dev/c,file.aio=threads,read-only=on,auto-read-only=off",
                "-device",
                "virtio-blk-pci,id=disk-aaaaaaaa-bbbb-4ccc,bus=pci.0,addr=0xe,drive=disk-aaaaaaaa-bbbb-4ccc,write-cache=on",
            ])
    }

    @Test func aGlusterServerIsAnArrayInQMP() throws {
        var runtime = try Self.runtime()
        let disk = try InstanceSpec.parseDisk(
            json: Data(
                #"{"uuid": "\#(SpecFixtures.disk2UUID)", "path": "/v/d", "uri": "gluster://gl1:24007/vol/d.img"}"#.utf8)
        )
        _ = try runtime.addDisk(disk, takenSlots: [])
        let (blockdev, _) = try runtime.hotplugArguments(disk: 1, features: SpecFixtures.qemu72, filename: nil)
        #expect(
            blockdev["file"] == [
                "driver": "gluster", "server": [["type": "inet", "host": "gl1", "port": "24007"]], "volume": "vol",
                "path": "d.img",
            ])
    }
}

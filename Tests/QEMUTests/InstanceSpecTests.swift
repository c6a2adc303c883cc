import Testing

@testable import QEMU

@Suite("Instance spec")
struct InstanceSpecTests {
    @Test func aSmallSpecGetsTheCatalogDefaults() throws {
        let spec = try SpecFixtures.spec()
        #expect(spec.hvparams == HVParams.defaults)
        #expect(spec.hvparams.string("boot_order") == "disk")
        #expect(spec.hvparams.int("serial_speed") == 38400)
        #expect(spec.beparams.maxmem == 256)
        #expect(spec.beparams.minmem == 256)
        #expect(spec.nics[0].mac == "aa:00:00:12:34:56")
        #expect(spec.disks[0].mode == "rw")
    }

    @Test func legacyMemoryIsMaxmem() throws {
        let spec = try SpecFixtures.spec(["beparams": ["memory": 1024, "vcpus": 4]])
        #expect(spec.beparams.maxmem == 1024)
        #expect(spec.beparams.vcpus == 4)
    }

    static let refusals: [(String, JSONValue, String)] = [
        (
            "unknown hvparam", SpecFixtures.json(hvparams: ["kernel_pth": ""]),
            "hvparams.kernel_pth: unknown hypervisor parameter"
        ),
        ("wrong type", SpecFixtures.json(hvparams: ["acpi": "yes"]), "hvparams.acpi: expected a boolean, got a string"),
        (
            "value outside its set", SpecFixtures.json(hvparams: ["boot_order": "usb"]),
            "hvparams.boot_order: \"usb\" is not one of disk, cdrom, floppy, network"
        ),
        (
            "missing required value", SpecFixtures.json(hvparams: ["nic_type": ""]),
            "hvparams.nic_type: a value is required"
        ),
        (
            "bad MAC",
            SpecFixtures.json(nic: ["mac": "aa:00:00:12:34", "nicparams": ["link": "br0"]]),
            "nics[0].mac: \"aa:00:00:12:34\" is not a MAC address (six hex pairs joined by ':')"
        ),
        (
            "multicast MAC",
            SpecFixtures.json(nic: ["mac": "01:00:00:12:34:56", "nicparams": ["link": "br0"]]),
            "nics[0].mac: \"01:00:00:12:34:56\" is a multicast address"
        ),
        (
            "bad VLAN",
            SpecFixtures.json(nic: ["nicparams": ["link": "br0", "vlan": ".5000"]]),
            "nics[0].nicparams.vlan: VLAN \".5000\": \"5000\" is not a VLAN id (1-4094)"
        ),
        (
            "VLAN with junk",
            SpecFixtures.json(nic: ["nicparams": ["link": "br0", "vlan": "10:20"]]),
            "nics[0].nicparams.vlan: VLAN \"10:20\" is not in the notation .V, :V1:V2 or .V:V2"
        ),
        (
            "bridged without a bridge",
            SpecFixtures.json(nic: [:]),
            "nics[0].nicparams.link: a bridge is required in mode bridged"
        ),
        (
            "routed without an IP",
            SpecFixtures.json(nic: ["nicparams": ["mode": "routed"]]),
            "nics[0].ip: an IP address is required in mode routed"
        ),
        (
            "unknown NIC mode",
            SpecFixtures.json(nic: ["nicparams": ["mode": "macvtap", "link": "eth0"]]),
            "nics[0].nicparams.mode: \"macvtap\" is not one of bridged, routed, openvswitch, ext"
        ),
        (
            "bad IP",
            SpecFixtures.json(nic: ["ip": "10.0.0.256", "nicparams": ["link": "br0"]]),
            "nics[0].ip: \"10.0.0.256\" is not an IP address"
        ),
        (
            "NIC without uuid",
            SpecFixtures.json(nic: ["uuid": nil, "nicparams": ["link": "br0"]]),
            "nics[0].uuid: a value is required"
        ),
        (
            "duplicate MAC",
            SpecFixtures.json([
                "nics": [
                    ["mac": "aa:00:00:12:34:56", "uuid": .string(SpecFixtures.nicUUID), "nicparams": ["link": "br0"]],
                    ["mac": "AA:00:00:12:34:56", "uuid": .string(SpecFixtures.nic2UUID), "nicparams": ["link": "br0"]],
                ]
            ]), "nics[1].mac: aa:00:00:12:34:56 is used twice"
        ),
        (
            "disk without path", SpecFixtures.json(["disks": [["uuid": .string(SpecFixtures.diskUUID)]]]),
            "disks[0].path: a value is required"
        ),
        (
            "relative disk path",
            SpecFixtures.json(["disks": [["uuid": .string(SpecFixtures.diskUUID), "path": "../disk"]]]),
            "disks[0].path: \"../disk\" is not a normalised absolute path"
        ),
        (
            "bad storage URI",
            SpecFixtures.json([
                "disks": [["uuid": .string(SpecFixtures.diskUUID), "path": "/dev/x", "uri": "gopher://x/y/z"]]
            ]),
            "disks[0].uri: \"gopher://x/y/z\": unsupported storage URI scheme (rbd: or gluster://)"
        ),
        ("name walking out", SpecFixtures.json(["name": "../x"]), "name: \"../x\" has an empty label"),
        (
            "name with a slash", SpecFixtures.json(["name": "a/b"]),
            "name: \"a/b\" is not a host name (letters, digits and '-' in dot-separated labels)"
        ),
        ("empty name", SpecFixtures.json(["name": ""]), "name: a value is required"),
        (
            "label over 63", SpecFixtures.json(["name": .string(String(repeating: "a", count: 64) + ".example.org")]),
            "name: \"\(String(repeating: "a", count: 64)).example.org\" has a label longer than 63 characters"
        ),
        ("unknown field", SpecFixtures.json(["nick": "x"]), "nick: unknown field"),
        ("bad uuid", SpecFixtures.json(["uuid": "1234"]), "uuid: \"1234\" is not a UUID"),
        ("vcpus zero", SpecFixtures.json(["beparams": ["vcpus": 0]]), "beparams.vcpus: 0 is not 1-255"),
        (
            "VNC without a port", SpecFixtures.json(hvparams: ["vnc_bind_address": "0.0.0.0"], ["network_port": 5900]),
            "network_port: VNC needs a port above 5900 (display = port - 5900), got 5900"
        ),
        ("not kvm", SpecFixtures.json(["hypervisor": "xen-pvm"]), "hypervisor: \"xen-pvm\" is not kvm"),
        (
            "bad disk template", SpecFixtures.json(["disk_template": "zfs"]),
            "disk_template: \"zfs\" is not one of diskless, file, sharedfile, plain, blockdev, drbd, rbd, ext, gluster"
        ),
    ]

    @Test("a bad spec is refused with the field and the reason", arguments: refusals)
    func badSpecIsRefused(name: String, json: JSONValue, message: String) {
        let error = #expect(throws: SpecError.self) { try InstanceSpec.parse(json) }
        #expect(error?.description == message, "\(name)")
    }

    @Test func invalidJSONIsRefusedInOneLine() {
        let error = #expect(throws: SpecError.self) { try InstanceSpec.parse(json: Array("{\"name\": ".utf8)) }
        #expect(error?.description.hasPrefix("not valid JSON") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func ganetiBookkeepingFieldsAreAccepted() throws {
        let spec = try SpecFixtures.spec([
            "os": "debootstrap+default", "serial_no": 4, "admin_state": "up", "hypervisor": "kvm",
        ])
        #expect(spec.name == "inst1.example.org")
    }

    @Test(
        "VLAN notation",
        arguments: [
            (".100", VLAN(access: 100, trunks: [])), (":10:20", VLAN(access: nil, trunks: [10, 20])),
            (".5:6:7", VLAN(access: 5, trunks: [6, 7])), ("42", VLAN(access: 42, trunks: [])),
        ])
    func vlanNotationParses(text: String, vlan: VLAN) throws {
        #expect(try VLAN.parse(text) == vlan)
    }

    @Test func emptyVLANIsNone() throws {
        #expect(try VLAN.parse("") == nil)
        #expect(throws: SpecError.self) { try VLAN.parse(".") }
        #expect(throws: SpecError.self) { try VLAN.parse(":") }
        #expect(throws: SpecError.self) { try VLAN.parse(".1:") }
    }

    @Test(
        "host names",
        arguments: [
            ("web1", true), ("web-1.example.org", true), ("a", true), ("-a", false), ("a-", false), ("a..b", false),
            ("a_b", false), ("ä", false), (String(repeating: "a", count: 63), true),
        ])
    func hostNameRules(name: String, valid: Bool) {
        #expect((HostName.problem(name) == nil) == valid, "\(name)")
    }
}

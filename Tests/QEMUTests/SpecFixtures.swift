import Foundation

@testable import QEMU

/// Specs and feature sets for the planner tests.
enum SpecFixtures {
    static let nicUUID = "003fc157-66a8-4e6d-8b7e-ec4f69751396"
    static let nic2UUID = "11111111-2222-4333-8444-555555555555"
    static let diskUUID = "9f5c5bd4-6f60-4f6a-9b1b-4e7d9e0c1a22"
    static let disk2UUID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

    /// A small valid spec as JSON, with `changes` merged into the top level and `hvparams` into
    /// its hvparams.
    static func json(hvparams: [String: JSONValue] = [:], _ changes: [String: JSONValue] = [:]) -> JSONValue {
        var top: [String: JSONValue] = [
            "name": "inst1.example.org",
            "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
            "hvparams": .object(hvparams),
            "beparams": ["maxmem": 256, "vcpus": 1],
            "nics": [
                [
                    "mac": "aa:00:00:12:34:56", "uuid": .string(nicUUID),
                    "nicparams": ["mode": "bridged", "link": "br0"],
                ]
            ],
            "disks": [["uuid": .string(diskUUID), "path": "/dev/vg/inst1-disk0", "size": 1024]],
            "tags": ["a"],
            "network_port": 11000,
            "primary_node": "node1.example.org",
            "disk_template": "plain",
        ]
        for (key, value) in changes { top[key] = value }
        return .object(top)
    }

    /// The small spec with one NIC made of `fields` (a MAC and uuid unless given).
    static func json(nic fields: [String: JSONValue]) -> JSONValue {
        var nic: [String: JSONValue] = ["mac": "aa:00:00:12:34:56", "uuid": .string(nicUUID)]
        for (key, value) in fields { nic[key] = value }
        return json(["nics": [.object(nic.filter { $0.value != .null })]])
    }

    static func spec(hvparams: [String: JSONValue] = [:], _ changes: [String: JSONValue] = [:]) throws -> InstanceSpec {
        try InstanceSpec.parse(json(hvparams: hvparams, changes))
    }

    /// qemu 7.2 as Debian 12 ships it (matches the committed fixtures).
    static let qemu72 = QemuFeatures(
        version: QemuVersion(7, 2, 22), qmp: true, netdev: true, vhost: true, multiqueueFds: true, display: true,
        uuid: true, runWith: false, noACPI: true, spice: true, soundhw: false, autoReadOnly: true,
        machines: ["pc", "pc-i440fx-7.2", "q35", "microvm"], defaultMachine: "pc-i440fx-7.2", devices: nil)

    static let paths = StateDirectory("/run/th")

    static func argv(
        hvparams: [String: JSONValue] = [:], _ changes: [String: JSONValue] = [:], features: QemuFeatures = qemu72
    ) throws -> [String] {
        try QemuPlanner.plan(spec(hvparams: hvparams, changes), features: features, paths: paths).argv
    }
}

extension Array where Element == String {
    /// Whether `fragment` appears as a contiguous run.
    func contains(run fragment: [String]) -> Bool {
        guard !fragment.isEmpty, fragment.count <= count else { return fragment.isEmpty }
        return (0...(count - fragment.count)).contains { Array(self[$0..<($0 + fragment.count)]) == fragment }
    }
}

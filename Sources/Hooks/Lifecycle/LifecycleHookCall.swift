import LuaKit
import QEMU

/// A lifecycle hook call: the event, and the read-only view of the instance its function gets
/// (`instance`, design 4.7).
///
/// As a Lua table: `name`, `uuid`, `tags`, `memory` (MiB) and `vcpus`, `nics` (each `index`,
/// `mac`, `mode`, `link`, `ip`, `vlan`, `interface`: its tap, once it has one), `disks` (each
/// `index`, `path`, `mode`, `uri`), the `event`, and where it applies the `reason` (`post_stop`:
/// `stopped`, `guest-shutdown`, `crashed`, `cleaned-up`), the `role` (`pre_migrate`,
/// `post_migrate`: `source` or `target`; `post_migrate` also `success`), and `nic` (the index
/// of the NIC `nic_added` or `nic_removed` is about).
public struct LifecycleHookCall: Sendable, Codable, Hashable {
    public var event: LifecycleEvent
    public var instance: String
    public var uuid: String
    public var tags: [String]
    public var memory: Int?
    public var vcpus: Int?
    public var nics: [NICSpec]
    /// The taps of `nics`, by index, where they have one.
    public var interfaces: [Int: String]
    public var disks: [DiskSpec]
    public var reason: String?
    public var role: String?
    public var success: Bool?
    public var nic: Int?

    public init(
        _ event: LifecycleEvent, instance: String, uuid: String, tags: [String], memory: Int? = nil,
        vcpus: Int? = nil, nics: [NICSpec] = [], interfaces: [Int: String] = [:], disks: [DiskSpec] = []
    ) {
        self.event = event
        self.instance = instance
        self.uuid = uuid
        self.tags = tags
        self.memory = memory
        self.vcpus = vcpus
        self.nics = nics
        self.interfaces = interfaces
        self.disks = disks
    }

    /// The `instance` table the hook's function gets.
    public var table: LuaValue {
        var fields: [LuaKey: LuaValue] = [
            "name": .string(instance), "uuid": .string(uuid), "tags": .array(tags.map(LuaValue.string)),
            "event": .string(event.rawValue),
            "nics": .array(
                nics.enumerated().map { index, nic in
                    var fields: [LuaKey: LuaValue] = [
                        "index": .integer(Int64(index)), "mac": .string(nic.mac), "mode": .string(nic.mode),
                    ]
                    if let link = nic.link { fields["link"] = .string(link) }
                    if let ip = nic.ip { fields["ip"] = .string(ip) }
                    if let vlan = nic.vlan { fields["vlan"] = .string(vlan) }
                    if let tap = interfaces[index] { fields["interface"] = .string(tap) }
                    return .map(fields)
                }),
            "disks": .array(
                disks.enumerated().map { index, disk in
                    var fields: [LuaKey: LuaValue] = [
                        "index": .integer(Int64(index)), "path": .string(disk.path), "mode": .string(disk.mode),
                    ]
                    if let uri = disk.uri { fields["uri"] = .string(uri) }
                    return .map(fields)
                }),
        ]
        if let memory { fields["memory"] = .integer(Int64(memory)) }
        if let vcpus { fields["vcpus"] = .integer(Int64(vcpus)) }
        if let reason { fields["reason"] = .string(reason) }
        if let role { fields["role"] = .string(role) }
        if let success { fields["success"] = .boolean(success) }
        if let nic { fields["nic"] = .integer(Int64(nic)) }
        return .map(fields)
    }
}

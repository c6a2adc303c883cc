import HostNet
import LuaKit
import QEMU

/// A lifecycle spec case read and checked: the event and the instance `instance.lua` gets, the
/// node the case starts from, the site hook if the case brings one, the answers for `exec`, and
/// what the call must do or how it must fail. A case is a lifecycle case when it has a
/// `lifecycle` field or a site `instance` hook.
///
/// ```lua
/// test.case("an instance in maintenance does not start", {
///   lifecycle = { event = "pre_start", instance = { name = "web1", tags = { "maintenance" } } },
///   expect = { error = "web1 is in maintenance" },
/// })
/// ```
struct LifecycleSpec {
    static let fields: Set<String> = ["lifecycle", "site", "host", "exec", "expect", "properties", "skip"]
    static let lifecycleFields: Set<String> = ["event", "instance", "reason", "role", "success", "nic"]
    static let instanceFields: Set<String> = ["name", "uuid", "tags", "memory", "vcpus", "nics", "disks"]
    static let nicFields: Set<String> = ["mac", "mode", "link", "ip", "vlan", "interface"]
    static let diskFields: Set<String> = ["path", "mode", "uri"]
    static let defaultInstance = "instance1.example.com"

    var call: LifecycleHookCall
    /// The taps of the instance's NICs: the fake node has them.
    var taps: [String]
    var host: SpecTable?
    var exec: [String: CommandRunner.Output]
    /// The source of a site `instance.lua` for this case only.
    var site: String?
    var expectedCalls: [String]?
    var expectedHost: SpecTable?
    var expectedError: HookSpec.ExpectedError?
    /// Whether what the call changed, undone at the instance's end, leaves the node as it was.
    var checkUndo: Bool
    var skip: String?

    static func isLifecycleCase(_ table: LuaValue) -> Bool {
        table[.string("lifecycle")] != .nil || table[.string("site")][.string("instance")] != .nil
    }

    init(_ table: LuaValue) throws(SpecError) {
        let spec = try SpecTable(table, path: "")
        try spec.only(Self.fields)
        skip = try spec.string("skip")
        let lifecycle = try spec.table("lifecycle") ?? SpecTable(emptyAt: "lifecycle")
        try lifecycle.only(Self.lifecycleFields)
        guard let eventName = try lifecycle.string("event") else {
            throw SpecError("lifecycle.event", "a value is required")
        }
        guard let event = LifecycleEvent(rawValue: eventName) else {
            let events = LifecycleEvent.allCases.map(\.rawValue).joined(separator: ", ")
            throw SpecError("lifecycle.event", "\"\(eventName)\" is not one of \(events)")
        }
        let instance = try lifecycle.table("instance") ?? SpecTable(emptyAt: "lifecycle.instance")
        try instance.only(Self.instanceFields)
        var nics: [NICSpec] = []
        var interfaces: [Int: String] = [:]
        for (offset, value) in (try instance.list("nics") ?? []).enumerated() {
            let nic = try SpecTable(value, path: "lifecycle.instance.nics[\(offset + 1)]")
            try nic.only(Self.nicFields)
            let made = try NICSpec(
                mac: nic.string("mac") ?? "aa:00:00:00:00:0\(offset + 1)", ip: nic.string("ip"), uuid: "",
                mode: nic.string("mode") ?? "bridged", link: nic.string("link"), vlan: nic.string("vlan"))
            nics.append(made)
            interfaces[offset] = try nic.string("interface")
        }
        var disks: [DiskSpec] = []
        for (offset, value) in (try instance.list("disks") ?? []).enumerated() {
            let path = "lifecycle.instance.disks[\(offset + 1)]"
            let disk = try SpecTable(value, path: path)
            try disk.only(Self.diskFields)
            guard let diskPath = try disk.string("path") else { throw SpecError(path + ".path", "a value is required") }
            disks.append(
                try DiskSpec(uuid: "", mode: disk.string("mode") ?? "rw", path: diskPath, uri: disk.string("uri")))
        }
        call = try LifecycleHookCall(
            event, instance: instance.string("name") ?? Self.defaultInstance,
            uuid: instance.string("uuid") ?? "00000000-0000-4000-8000-000000000001",
            tags: instance.strings("tags") ?? [], memory: instance.integer("memory"),
            vcpus: instance.integer("vcpus"), nics: nics, interfaces: interfaces, disks: disks)
        call.reason = try lifecycle.string("reason")
        call.role = try lifecycle.string("role")
        call.success = try lifecycle.boolean("success")
        call.nic = try lifecycle.integer("nic")
        taps = interfaces.keys.sorted().compactMap { interfaces[$0] }
        host = try spec.table("host")
        exec = try HookSpec.execAnswers(spec)
        if let sites = try spec.table("site") {
            try sites.only(["instance"])
            site = try sites.string("instance")
        }
        if let expect = try spec.table("expect") {
            try expect.only(["calls", "host", "error"])
            expectedCalls = try expect.strings("calls")
            expectedHost = try expect.table("host")
            expectedError = try HookSpec.ExpectedError.read(expect["error"])
        }
        switch spec["properties"] {
        case .nil: checkUndo = true
        case .boolean(false): checkUndo = false
        case let value:
            let properties = try SpecTable(value, path: "properties")
            try properties.only(["undo"])
            checkUndo = try properties.boolean("undo") ?? true
        }
    }
}

import Foundation

/// An instance as an orchestrator describes it, in the shape of Ganeti's serialized
/// `Instance`, checked: every refusal names the field and the reason.
public struct InstanceSpec: Sendable, Hashable {
    /// A valid host name; it becomes a file name in the state directory.
    public var name: String
    public var uuid: String
    public var hvparams: HVParams
    public var beparams: BEParams
    public var nics: [NICSpec]
    public var disks: [DiskSpec]
    public var tags: [String]
    /// The VNC or SPICE port.
    public var networkPort: Int?
    public var primaryNode: String?
    public var diskTemplate: String

    static let diskTemplates = ["diskless", "file", "sharedfile", "plain", "blockdev", "drbd", "rbd", "ext", "gluster"]
    /// Keys of Ganeti's serialized instance that do not concern the node agent.
    static let ganetiBookkeeping = [
        "os", "osparams", "osparams_private", "admin_state", "admin_state_source", "ctime", "mtime", "serial_no",
        "disks_active", "hypervisor",
    ]

    /// Reads a spec from JSON text.
    public static func parse(json text: some DataProtocol) throws(SpecError) -> InstanceSpec {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw SpecError("", "not valid JSON: \(JSONErrorText.describe(error))")
        }
        return try parse(json)
    }

    /// Reads a spec from a JSON value.
    public static func parse(_ json: JSONValue) throws(SpecError) -> InstanceSpec {
        var r = try FieldReader(json, path: "")
        let name = try r.requiredString("name")
        if let reason = HostName.problem(name) { throw SpecError("name", reason) }
        let uuid = try r.requiredString("uuid")
        guard UUIDText.isValid(uuid) else { throw SpecError("uuid", "\"\(uuid)\" is not a UUID") }
        if let hypervisor = try r.string("hypervisor"), hypervisor != "kvm" {
            throw SpecError("hypervisor", "\"\(hypervisor)\" is not kvm")
        }
        let hvparams = try HVParams.parse(r.value("hvparams"))
        let beparams = try parseBEParams(r.value("beparams"))
        var nics: [NICSpec] = []
        for (i, nic) in try r.array("nics").enumerated() { nics.append(try parseNIC(nic, path: "nics[\(i)]")) }
        var disks: [DiskSpec] = []
        for (i, disk) in try r.array("disks").enumerated() { disks.append(try parseDisk(disk, path: "disks[\(i)]")) }
        var tags: [String] = []
        for (i, tag) in try r.array("tags").enumerated() {
            guard let s = tag.stringValue else { throw SpecError("tags[\(i)]", "expected a string, got \(tag.kind)") }
            tags.append(s)
        }
        let networkPort = try r.int("network_port")
        if let port = networkPort, !(1...65535).contains(port) {
            throw SpecError("network_port", "\(port) is not a port (1-65535)")
        }
        let primaryNode = try r.string("primary_node")
        if let node = primaryNode, let reason = HostName.problem(node) { throw SpecError("primary_node", reason) }
        let template = try r.string("disk_template") ?? (disks.isEmpty ? "diskless" : "plain")
        guard diskTemplates.contains(template) else {
            throw SpecError("disk_template", "\"\(template)\" is not one of \(diskTemplates.joined(separator: ", "))")
        }
        r.ignore(ganetiBookkeeping)
        try r.finish()
        for (field, list) in [("nics", nics.map(\.uuid)), ("disks", disks.map(\.uuid))] {
            if let duplicate = Dictionary(grouping: list.indices, by: { list[$0] }).first(where: { $0.value.count > 1 })
            {
                throw SpecError("\(field)[\(duplicate.value[1])].uuid", "\(duplicate.key) is used twice")
            }
        }
        if let duplicate = Dictionary(grouping: nics.indices, by: { nics[$0].mac }).first(where: { $0.value.count > 1 })
        {
            throw SpecError("nics[\(duplicate.value[1])].mac", "\(duplicate.key) is used twice")
        }
        let spec = InstanceSpec(
            name: name, uuid: uuid, hvparams: hvparams, beparams: beparams, nics: nics, disks: disks, tags: tags,
            networkPort: networkPort, primaryNode: primaryNode, diskTemplate: template)
        try spec.checkConsoles()
        return spec
    }

    /// VNC and SPICE need a port; Ganeti logged an error and silently ran without VNC instead.
    func checkConsoles() throws(SpecError) {
        if !hvparams.string("vnc_bind_address").isEmpty {
            guard let port = networkPort, port > 5900 else {
                throw SpecError(
                    "network_port",
                    "VNC needs a port above 5900 (display = port - 5900), got \(networkPort.map(String.init) ?? "none")"
                )
            }
        }
        if !hvparams.string("spice_bind").isEmpty && networkPort == nil {
            throw SpecError("network_port", "SPICE needs a port")
        }
    }

    static func parseBEParams(_ json: JSONValue?) throws(SpecError) -> BEParams {
        var be = BEParams.defaults
        guard let json else { return be }
        var r = try FieldReader(json, path: "beparams")
        let memory = try r.int("memory")
        if let maxmem = try r.int("maxmem") ?? memory { be.maxmem = maxmem }
        be.minmem = try r.int("minmem") ?? be.maxmem
        if let vcpus = try r.int("vcpus") { be.vcpus = vcpus }
        if let b = try r.bool("auto_balance") { be.autoBalance = b }
        if let b = try r.bool("always_failover") { be.alwaysFailover = b }
        if let n = try r.int("spindle_use") { be.spindleUse = n }
        try r.finish()
        guard be.maxmem >= 1 else { throw SpecError("beparams.maxmem", "\(be.maxmem) MiB is not a memory size") }
        guard be.minmem >= 1, be.minmem <= be.maxmem else {
            throw SpecError("beparams.minmem", "\(be.minmem) MiB must be between 1 and maxmem (\(be.maxmem))")
        }
        guard (1...255).contains(be.vcpus) else { throw SpecError("beparams.vcpus", "\(be.vcpus) is not 1-255") }
        return be
    }

    /// A NIC to hot-plug, as a spec's NIC reads (its `uuid` may be left out: one is made).
    public static func parseNIC(json text: some DataProtocol) throws(SpecError) -> NICSpec {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw SpecError("nic", "not valid JSON: \(JSONErrorText.describe(error))")
        }
        return try parseNIC(json, path: "nic", uuidRequired: false)
    }

    static func parseNIC(_ json: JSONValue, path: String, uuidRequired: Bool = true) throws(SpecError) -> NICSpec {
        var r = try FieldReader(json, path: path)
        let nic = try NICSpec.readFields(&r, strictParams: true)
        if nic.uuid.isEmpty && uuidRequired { throw SpecError("\(path).uuid", "a value is required") }
        if (nic.mode == "bridged" || nic.mode == "openvswitch") && nic.link == nil {
            throw SpecError(
                "\(path).nicparams.link",
                "a \(nic.mode == "bridged" ? "bridge" : "switch") is required in mode \(nic.mode)")
        }
        if let link = nic.link, nic.mode != "routed", !Syntax.isInterfaceName(link) {
            throw SpecError("\(path).nicparams.link", "\"\(link)\" is not an interface name")
        }
        if nic.mode == "routed" && nic.ip == nil {
            throw SpecError("\(path).ip", "an IP address is required in mode routed")
        }
        r.ignore(["hvinfo"])
        try r.finish()
        return nic
    }

    /// A disk to hot-plug, as a spec's disk reads.
    public static func parseDisk(json text: some DataProtocol) throws(SpecError) -> DiskSpec {
        let json: JSONValue
        do {
            json = try JSONValue.parse(text)
        } catch {
            throw SpecError("disk", "not valid JSON: \(JSONErrorText.describe(error))")
        }
        return try parseDisk(json, path: "disk")
    }

    static func parseDisk(_ json: JSONValue, path: String) throws(SpecError) -> DiskSpec {
        var r = try FieldReader(json, path: path)
        let uuid = try r.requiredString("uuid")
        guard UUIDText.isValid(uuid) else { throw SpecError("\(path).uuid", "\"\(uuid)\" is not a UUID") }
        let diskPath = try r.requiredString("path")
        guard Syntax.isNormalisedAbsolutePath(diskPath) else {
            throw SpecError("\(path).path", "\"\(diskPath)\" is not a normalised absolute path")
        }
        let mode = try r.string("mode") ?? "rw"
        guard mode == "rw" || mode == "ro" else { throw SpecError("\(path).mode", "\"\(mode)\" is not rw or ro") }
        let uri = try r.string("uri").flatMap { $0.isEmpty ? nil : $0 }
        if let uri {
            do {
                _ = try StorageURI.parse(uri)
            } catch {
                throw SpecError("\(path).uri", error.reason)
            }
        }
        let disk = DiskSpec(
            uuid: uuid, name: try r.string("name"), size: try r.int("size"), mode: mode,
            devType: try r.string("dev_type"),
            path: diskPath, uri: uri)
        r.ignore([
            "hvinfo", "iv_name", "logical_id", "physical_id", "params", "children", "serial_no", "ctime", "mtime",
        ])
        try r.finish()
        return disk
    }
}

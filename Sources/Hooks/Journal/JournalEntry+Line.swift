import HostNet
import QEMU

/// A journal entry as its line in the journal: the JSON its Codable conformance reads and writes
/// (`{"mtu":{"link":"tap0","mtu":9000,"was":1500}}`, keys sorted, absent optionals left out),
/// written and read by hand. Foundation's encoder and decoder were half of what a NIC's `up` and
/// `down` cost taphouse; the lines are the same, so journals of either kind read in both.
extension JournalEntry {
    /// The entry's JSON line (without the newline).
    public var line: String {
        var out = JSONLine()
        switch self {
        case .begin(let hook, let version, let interface, let namespace, let index, let phase):
            out.open("begin")
            out.field("hook", hook)
            out.field("index", index)
            out.field("interface", interface)
            out.field("namespace", namespace)
            out.field("phase", phase)
            out.field("version", version)
        case .link(let name, let index):
            out.open("link")
            out.field("index", index)
            out.field("name", name)
        case .linkUp(let link, let up, let was):
            out.open("linkUp")
            out.field("link", link)
            out.field("up", up)
            out.field("was", was)
        case .mtu(let link, let mtu, let was):
            out.open("mtu")
            out.field("link", link)
            out.field("mtu", mtu)
            out.field("was", was)
        case .mac(let link, let mac, let was):
            out.open("mac")
            out.field("link", link)
            out.field("mac", mac)
            out.field("was", was)
        case .master(let link, let master, let was):
            out.open("master")
            out.field("link", link)
            out.field("master", master)
            out.field("was", was)
        case .bridgeVLANAdded(let link, let vlan, let was, let shared):
            out.open("bridgeVLANAdded")
            out.field("link", link)
            out.field("shared", shared)
            out.field("vlan", vlan)
            out.field("was", was)
        case .bridgeVLANDeleted(let link, let was):
            out.open("bridgeVLANDeleted")
            out.field("link", link)
            out.field("was", was)
        case .routeReplaced(let route, let was):
            out.open("routeReplaced")
            out.field("route", route)
            out.field("was", was)
        case .routeDeleted(let was):
            out.open("routeDeleted")
            out.field("was", was)
        case .ruleAdded(let rule):
            out.open("ruleAdded")
            out.field("rule", rule)
        case .ruleDeleted(let was):
            out.open("ruleDeleted")
            out.field("was", was)
        case .sysctl(let key, let value, let was):
            out.open("sysctl")
            out.field("key", key)
            out.field("value", value)
            out.field("was", was)
        case .ovsPortAdded(let bridge, let port):
            out.open("ovsPortAdded")
            out.field("bridge", bridge)
            out.field("port", port)
        case .ovsPortDeleted(let was):
            out.open("ovsPortDeleted")
            out.field("was", was)
        case .ovsPortSet(let port, let tag, let trunks, let wasTag, let wasTrunks):
            out.open("ovsPortSet")
            out.field("port", port)
            out.field("tag", tag)
            out.field("trunks", trunks)
            out.field("wasTag", wasTag)
            out.field("wasTrunks", wasTrunks)
        case .exec(let argv, let undo, let undoInput, let link):
            out.open("exec")
            out.field("argv", argv)
            out.field("link", link)
            if let undo { out.field("undo", undo) }
            out.field("undoInput", undoInput)
        case .addressAdded(let address):
            out.open("addressAdded")
            out.field("address", address)
        case .addressDeleted(let was):
            out.open("addressDeleted")
            out.field("was", was)
        case .neighbourAdded(let neighbour):
            out.open("neighbourAdded")
            out.field("neighbour", neighbour)
        case .neighbourDeleted(let was):
            out.open("neighbourDeleted")
            out.field("was", was)
        case .fileWritten(let path, let mode, let was, let wasMode, let reload, let link):
            out.open("fileWritten")
            out.field("link", link)
            out.field("mode", mode)
            out.field("path", path)
            if let reload { out.field("reload", reload) }
            out.field("was", was)
            out.field("wasMode", wasMode)
        }
        return out.close()
    }

    /// The entry a journal line holds.
    public init(line: some Collection<UInt8>) throws {
        guard case .object(let outer) = try JSONValue.parse(Array(line)), outer.count == 1,
            let (kind, body) = outer.first, case .object(let fields) = body
        else { throw JournalLineError("not an entry") }
        let f = Fields(fields)
        switch kind {
        case "begin":
            self = .begin(
                hook: try f.string("hook"), version: try f.string("version"), interface: try f.string("interface"),
                namespace: try f.optionalString("namespace"), index: try f.optionalInt("index").map(Int32.init),
                phase: try f.optionalString("phase"))
        case "link": self = .link(name: try f.string("name"), index: try f.optionalInt("index").map(Int32.init))
        case "linkUp": self = .linkUp(link: try f.string("link"), up: try f.bool("up"), was: try f.bool("was"))
        case "mtu": self = .mtu(link: try f.string("link"), mtu: try f.int("mtu"), was: try f.int("was"))
        case "mac":
            self = .mac(link: try f.string("link"), mac: try f.string("mac"), was: try f.optionalString("was"))
        case "master":
            self = .master(
                link: try f.string("link"), master: try f.optionalString("master"), was: try f.optionalString("was"))
        case "bridgeVLANAdded":
            self = .bridgeVLANAdded(
                link: try f.string("link"), vlan: try f.vlan("vlan"), was: try f.optionalVLAN("was"),
                shared: try f.bool("shared"))
        case "bridgeVLANDeleted": self = .bridgeVLANDeleted(link: try f.string("link"), was: try f.vlan("was"))
        case "routeReplaced": self = .routeReplaced(route: try f.route("route"), was: try f.optionalRoute("was"))
        case "routeDeleted": self = .routeDeleted(was: try f.route("was"))
        case "ruleAdded": self = .ruleAdded(rule: try f.rule("rule"))
        case "ruleDeleted": self = .ruleDeleted(was: try f.rule("was"))
        case "sysctl":
            self = .sysctl(key: try f.string("key"), value: try f.string("value"), was: try f.string("was"))
        case "ovsPortAdded": self = .ovsPortAdded(bridge: try f.string("bridge"), port: try f.string("port"))
        case "ovsPortDeleted": self = .ovsPortDeleted(was: try f.port("was"))
        case "ovsPortSet":
            self = .ovsPortSet(
                port: try f.string("port"), tag: try f.optionalInt("tag"), trunks: try f.ints("trunks"),
                wasTag: try f.optionalInt("wasTag"), wasTrunks: try f.ints("wasTrunks"))
        case "exec":
            self = .exec(
                argv: try f.strings("argv"), undo: try f.optionalStrings("undo"),
                undoInput: try f.optionalString("undoInput"), link: try f.optionalString("link"))
        case "addressAdded": self = .addressAdded(address: try f.address("address"))
        case "addressDeleted": self = .addressDeleted(was: try f.address("was"))
        case "neighbourAdded": self = .neighbourAdded(neighbour: try f.neighbour("neighbour"))
        case "neighbourDeleted": self = .neighbourDeleted(was: try f.neighbour("was"))
        case "fileWritten":
            self = .fileWritten(
                path: try f.string("path"), mode: try f.int("mode"), was: try f.optionalString("was"),
                wasMode: try f.optionalInt("wasMode"), reload: try f.optionalStrings("reload"),
                link: try f.optionalString("link"))
        default: throw JournalLineError("an entry of unknown kind \(kind)")
        }
    }
}

struct JournalLineError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The fields of an entry's object, read with their types checked.
private struct Fields {
    let fields: [String: JSONValue]
    init(_ fields: [String: JSONValue]) { self.fields = fields }

    private func value(_ key: String) throws -> JSONValue {
        guard let value = fields[key], value != .null else { throw JournalLineError("\(key) missing") }
        return value
    }
    func string(_ key: String) throws -> String {
        guard case .string(let s) = try value(key) else { throw JournalLineError("\(key) is not a string") }
        return s
    }
    func optionalString(_ key: String) throws -> String? { fields[key] == nil ? nil : try string(key) }
    func int(_ key: String) throws -> Int {
        guard case .int(let i) = try value(key), let value = Int(exactly: i) else {
            throw JournalLineError("\(key) is not an integer")
        }
        return value
    }
    func optionalInt(_ key: String) throws -> Int? { fields[key] == nil ? nil : try int(key) }
    func bool(_ key: String) throws -> Bool {
        guard case .bool(let b) = try value(key) else { throw JournalLineError("\(key) is not a boolean") }
        return b
    }
    func strings(_ key: String) throws -> [String] {
        guard case .array(let elements) = try value(key) else { throw JournalLineError("\(key) is not a list") }
        return try elements.map {
            guard case .string(let s) = $0 else { throw JournalLineError("\(key) holds a non-string") }
            return s
        }
    }
    func optionalStrings(_ key: String) throws -> [String]? { fields[key] == nil ? nil : try strings(key) }
    func ints(_ key: String) throws -> [Int] {
        guard case .array(let elements) = try value(key) else { throw JournalLineError("\(key) is not a list") }
        return try elements.map {
            guard case .int(let i) = $0, let value = Int(exactly: i) else {
                throw JournalLineError("\(key) holds a non-integer")
            }
            return value
        }
    }
    private func object(_ key: String) throws -> Fields {
        guard case .object(let inner) = try value(key) else { throw JournalLineError("\(key) is not an object") }
        return Fields(inner)
    }
    func vlan(_ key: String) throws -> BridgeVLAN {
        let v = try object(key)
        return BridgeVLAN(vid: try v.int("vid"), pvid: try v.bool("pvid"), untagged: try v.bool("untagged"))
    }
    func optionalVLAN(_ key: String) throws -> BridgeVLAN? { fields[key] == nil ? nil : try vlan(key) }
    func route(_ key: String) throws -> Route {
        let r = try object(key)
        return Route(
            destination: try r.string("destination"), device: try r.string("device"), table: try r.int("table"),
            proto: try r.int("proto"))
    }
    func optionalRoute(_ key: String) throws -> Route? { fields[key] == nil ? nil : try route(key) }
    func rule(_ key: String) throws -> Rule {
        let r = try object(key)
        return Rule(
            family: try r.int("family"), device: try r.string("device"), table: try r.int("table"),
            priority: try r.optionalInt("priority"))
    }
    func address(_ key: String) throws -> InterfaceAddress {
        let a = try object(key)
        return InterfaceAddress(address: try a.string("address"), device: try a.string("device"))
    }
    func neighbour(_ key: String) throws -> ProxyNeighbour {
        let n = try object(key)
        return ProxyNeighbour(address: try n.string("address"), device: try n.string("device"))
    }
    func port(_ key: String) throws -> OVSPort {
        let p = try object(key)
        return OVSPort(
            name: try p.string("name"), bridge: try p.string("bridge"), tag: try p.optionalInt("tag"),
            trunks: try p.ints("trunks"))
    }
}

/// Writes `{"kind":{...}}` with the fields in sorted order (the callers give them so), absent
/// optionals left out, strings escaped as JSON needs. Built as bytes: appending to a String one
/// scalar at a time cost more than the JSONEncoder this replaces.
private struct JSONLine {
    private var bytes: [UInt8] = []
    private var first = true

    mutating func open(_ kind: String) {
        bytes.reserveCapacity(160)
        bytes.append(UInt8(ascii: "{"))
        string(kind)
        raw(":{")
    }

    mutating func close() -> String {
        raw("}}")
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func number(_ value: Int) {
        var text = String(value)
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func field(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }
    mutating func field(_ name: String, _ value: Int?) {
        guard let value else { return }
        key(name)
        number(value)
    }
    mutating func field(_ name: String, _ value: Int32?) { field(name, value.map(Int.init)) }
    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        if value { raw("true") } else { raw("false") }
    }
    mutating func field(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (offset, value) in values.enumerated() {
            if offset > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }
    mutating func field(_ name: String, _ values: [Int]) {
        key(name)
        numbers(values)
    }
    private mutating func numbers(_ values: [Int]) {
        bytes.append(UInt8(ascii: "["))
        for (offset, value) in values.enumerated() {
            if offset > 0 { bytes.append(UInt8(ascii: ",")) }
            number(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }
    mutating func field(_ name: String, _ vlan: BridgeVLAN?) {
        guard let vlan else { return }
        key(name)
        raw("{\"pvid\":")
        if vlan.pvid { raw("true") } else { raw("false") }
        raw(",\"untagged\":")
        if vlan.untagged { raw("true") } else { raw("false") }
        raw(",\"vid\":")
        number(vlan.vid)
        raw("}")
    }
    mutating func field(_ name: String, _ route: Route?) {
        guard let route else { return }
        key(name)
        raw("{\"destination\":")
        string(route.destination)
        raw(",\"device\":")
        string(route.device)
        raw(",\"proto\":")
        number(route.proto)
        raw(",\"table\":")
        number(route.table)
        raw("}")
    }
    mutating func field(_ name: String, _ rule: Rule?) {
        guard let rule else { return }
        key(name)
        raw("{\"device\":")
        string(rule.device)
        raw(",\"family\":")
        number(rule.family)
        if let priority = rule.priority {
            raw(",\"priority\":")
            number(priority)
        }
        raw(",\"table\":")
        number(rule.table)
        raw("}")
    }
    mutating func field(_ name: String, _ address: InterfaceAddress) {
        key(name)
        raw("{\"address\":")
        string(address.address)
        raw(",\"device\":")
        string(address.device)
        raw("}")
    }
    mutating func field(_ name: String, _ neighbour: ProxyNeighbour) {
        key(name)
        raw("{\"address\":")
        string(neighbour.address)
        raw(",\"device\":")
        string(neighbour.device)
        raw("}")
    }
    mutating func field(_ name: String, _ port: OVSPort?) {
        guard let port else { return }
        key(name)
        raw("{\"bridge\":")
        string(port.bridge)
        raw(",\"name\":")
        string(port.name)
        if let tag = port.tag {
            raw(",\"tag\":")
            number(tag)
        }
        raw(",\"trunks\":")
        numbers(port.trunks)
        raw("}")
    }

    /// A JSON string: `"` and `\` escaped, control characters as JSONEncoder writes them; the
    /// rest (UTF-8 included) as it is.
    private mutating func string(_ value: String) {
        var value = value
        bytes.append(UInt8(ascii: "\""))
        value.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0x08: raw("\\b")
                case 0x0C: raw("\\f")
                case 0..<0x20:
                    raw("\\u00")
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

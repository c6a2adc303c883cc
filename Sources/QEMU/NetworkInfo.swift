/// The Ganeti network a NIC is connected to, as Ganeti hands it to a node (the NIC's `netinfo`:
/// the network object's dict). Its NIC's hooks get it as `nic.NETWORK`, and Ganeti scripts as
/// the `NETWORK_*` variables (reference D.3): sites dispatch on the network's tags.
public struct NetworkInfo: Sendable, Hashable, Codable {
    public var name: String
    public var uuid: String?
    /// The IPv4 subnet (Ganeti's `network`), `192.0.2.0/24`.
    public var subnet: String?
    public var gateway: String?
    /// The IPv6 subnet (Ganeti's `network6`).
    public var subnet6: String?
    public var gateway6: String?
    /// The MAC prefix of the network's NICs, `aa:00:00`.
    public var macPrefix: String?
    public var tags: [String]

    public init(
        name: String, uuid: String? = nil, subnet: String? = nil, gateway: String? = nil, subnet6: String? = nil,
        gateway6: String? = nil, macPrefix: String? = nil, tags: [String] = []
    ) {
        self.name = name
        self.uuid = uuid
        self.subnet = subnet
        self.gateway = gateway
        self.subnet6 = subnet6
        self.gateway6 = gateway6
        self.macPrefix = macPrefix
        self.tags = tags
    }

    /// Ganeti's `Network.HooksDict()`: what its NIC scripts get, in its names; the subnets,
    /// gateways and MAC prefix only when set.
    public var ganetiEnvironment: [(String, String)] {
        var variables: [(String, String)] = [
            ("NETWORK_NAME", name), ("NETWORK_UUID", uuid ?? ""), ("NETWORK_TAGS", tags.joined(separator: " ")),
        ]
        for (key, value) in [
            ("NETWORK_SUBNET", subnet), ("NETWORK_GATEWAY", gateway), ("NETWORK_SUBNET6", subnet6),
            ("NETWORK_GATEWAY6", gateway6), ("NETWORK_MAC_PREFIX", macPrefix),
        ] {
            if let value, !value.isEmpty { variables.append((key, value)) }
        }
        return variables
    }
}

extension NetworkInfo {
    /// Reads Ganeti's network dict (`name`, `uuid`, `network`, `gateway`, `network6`,
    /// `gateway6`, `mac_prefix`, `tags`; its bookkeeping keys are accepted and dropped), each
    /// value checked, every refusal naming the field.
    static func read(_ json: JSONValue, path: String) throws(SpecError) -> NetworkInfo {
        var r = try FieldReader(json, path: path)
        let name = try r.requiredString("name")
        let uuid = try r.string("uuid").flatMap { $0.isEmpty ? nil : $0 }
        if let uuid, !UUIDText.isValid(uuid) { throw SpecError(r.field("uuid"), "\"\(uuid)\" is not a UUID") }
        func prefix(_ key: String, v6: Bool) throws(SpecError) -> String? {
            guard let text = try r.string(key).flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
            let parts = text.split(separator: "/")
            let bits = v6 ? 128 : 32
            guard parts.count == 2, Syntax.isIP(String(parts[0])), String(parts[0]).contains(":") == v6,
                let length = Int(parts[1]), (0...bits).contains(length)
            else { throw SpecError(r.field(key), "\"\(text)\" is not an IPv\(v6 ? 6 : 4) subnet (address/length)") }
            return text
        }
        func address(_ key: String, v6: Bool) throws(SpecError) -> String? {
            guard let text = try r.string(key).flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
            guard Syntax.isIP(text), text.contains(":") == v6 else {
                throw SpecError(r.field(key), "\"\(text)\" is not an IPv\(v6 ? 6 : 4) address")
            }
            return text
        }
        var info = NetworkInfo(name: name, uuid: uuid)
        info.subnet = try prefix("network", v6: false)
        info.gateway = try address("gateway", v6: false)
        info.subnet6 = try prefix("network6", v6: true)
        info.gateway6 = try address("gateway6", v6: true)
        if let text = try r.string("mac_prefix").flatMap({ $0.isEmpty ? nil : $0 }) {
            let octets = text.split(separator: ":", omittingEmptySubsequences: false)
            guard octets.count == 3, octets.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else {
                throw SpecError(r.field("mac_prefix"), "\"\(text)\" is not a MAC prefix (three hex pairs: aa:00:00)")
            }
            info.macPrefix = text.lowercased()
        }
        for (offset, tag) in try r.array("tags").enumerated() {
            guard let text = tag.stringValue else {
                throw SpecError("\(r.field("tags"))[\(offset)]", "expected a string, got \(tag.kind)")
            }
            info.tags.append(text)
        }
        r.ignore(["reservations", "ext_reservations", "serial_no", "ctime", "mtime"])
        try r.finish()
        return info
    }

    /// The dict again, in Ganeti's names (for the runtime file).
    var json: JSONValue {
        var object: [String: JSONValue] = ["name": .string(name), "tags": .array(tags.map { .string($0) })]
        object["uuid"] = uuid.map { .string($0) }
        object["network"] = subnet.map { .string($0) }
        object["gateway"] = gateway.map { .string($0) }
        object["network6"] = subnet6.map { .string($0) }
        object["gateway6"] = gateway6.map { .string($0) }
        object["mac_prefix"] = macPrefix.map { .string($0) }
        return .object(object)
    }
}

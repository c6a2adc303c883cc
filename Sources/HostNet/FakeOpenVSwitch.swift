/// An in-memory Open vSwitch for hook tests: bridges and port records, and the calls made.
public final class FakeOpenVSwitch: OpenVSwitch {
    public var bridges: Set<String>
    public var ports: [String: OVSPort] = [:]
    public private(set) var calls: [String] = []
    /// Where the calls also go, shared with a fake host when a test wants one sequence.
    public let log: FakeCallLog

    public init(bridges: Set<String> = [], log: FakeCallLog = FakeCallLog()) {
        self.bridges = bridges
        self.log = log
    }

    public func port(_ name: String) throws(HostNetError) -> OVSPort? { ports[name] }

    public func addPort(bridge: String, port: String) throws(HostNetError) {
        guard bridges.contains(bridge) else {
            throw HostNetError(.command, "add ovs port \(port) to \(bridge)", detail: "no bridge named \(bridge)")
        }
        guard ports[port] == nil else {
            throw HostNetError(
                .command, "add ovs port \(port) to \(bridge)",
                detail: "cannot create a port named \(port) because a port named \(port) already exists")
        }
        record("ovs_add_port \(bridge) \(port)")
        ports[port] = OVSPort(name: port, bridge: bridge)
    }

    public func deletePort(_ name: String) throws(HostNetError) {
        guard ports[name] != nil else {
            throw HostNetError(.notFound, "delete ovs port \(name)", detail: "no port named \(name)")
        }
        record("ovs_del_port \(name)")
        ports[name] = nil
    }

    public func setPort(_ name: String, tag: Int?, trunks: [Int]) throws(HostNetError) {
        guard ports[name] != nil else {
            throw HostNetError(.notFound, "set ovs port \(name)", detail: "no port named \(name)")
        }
        record(
            "ovs_set_port \(name) tag=\(tag.map(String.init) ?? "[]") trunks=[\(trunks.map(String.init).joined(separator: ","))]"
        )
        ports[name]!.tag = tag
        ports[name]!.trunks = trunks
    }

    private func record(_ call: String) {
        calls.append(call)
        log.record(call)
    }
}

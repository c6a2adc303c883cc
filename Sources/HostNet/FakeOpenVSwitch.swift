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
        let call = HostCall.ovsAddPort(bridge: bridge, port: port)
        guard bridges.contains(bridge) else {
            throw HostNetError(.command, call.description, detail: "no bridge named \(bridge)")
        }
        guard ports[port] == nil else {
            throw HostNetError(
                .command, call.description,
                detail: "cannot create a port named \(port) because a port named \(port) already exists")
        }
        record(call)
        ports[port] = OVSPort(name: port, bridge: bridge)
    }

    public func deletePort(_ name: String) throws(HostNetError) {
        guard ports[name] != nil else {
            throw HostNetError(.notFound, HostCall.ovsDelPort(name).description, detail: "no port named \(name)")
        }
        record(.ovsDelPort(name))
        ports[name] = nil
    }

    public func setPort(_ name: String, tag: Int?, trunks: [Int]) throws(HostNetError) {
        let call = HostCall.ovsSetPort(name, tag: tag, trunks: trunks)
        guard ports[name] != nil else {
            throw HostNetError(.notFound, call.description, detail: "no port named \(name)")
        }
        record(call)
        ports[name]!.tag = tag
        ports[name]!.trunks = trunks
    }

    private func record(_ call: HostCall) {
        calls.append(call.description)
        log.record(call.description)
    }
}

import Foundation
import HostNet

/// Everything a network hook could change in a namespace, to compare before and after.
public struct NamespaceSnapshot: Equatable {
    public var links: [LinkState]
    public var routes: [Route]
    public var rules: [Rule]
    public var sysctls: [String: String]
    public var bridgeVLANs: [String: [BridgeVLAN]]
    /// `ip -o address` of the namespace (run from the namespace thread, so it sees the namespace).
    public var addresses: [String]
    public var proxyNeighbours: [ProxyNeighbour]

    public init(_ host: LinuxHost) throws {
        links = try host.links().sorted { $0.name < $1.name }
        routes = try host.routes(table: nil).sorted { $0.description < $1.description }
        rules = try host.rules().sorted { $0.description < $1.description }
        sysctls = [:]
        for link in links {
            for key in [
                "ipv4/conf/\(link.name)/proxy_arp", "ipv4/conf/\(link.name)/forwarding",
                "ipv6/conf/\(link.name)/proxy_ndp", "ipv6/conf/\(link.name)/forwarding",
            ] {
                sysctls[key] = try host.sysctl("net/" + key)
            }
        }
        proxyNeighbours = try host.proxyNeighbours()
        bridgeVLANs = [:]
        for link in links where link.master != nil || link.kind == "bridge" {
            bridgeVLANs[link.name] = try host.bridgeVLANs(link.name)
        }
        let output = try BlockingCommand.run(["/usr/sbin/ip", "-o", "address", "show"], timeout: .seconds(10))
        // Duplicate address detection's "tentative" comes and goes with the kernel's timing, not
        // with anything a hook does.
        addresses = output.standardOutput.split(separator: "\n").map {
            $0.replacingOccurrences(of: " tentative", with: "")
        }.sorted()
    }
}

extension NetworkNamespace {
    /// A namespace with a bridge br0 (MTU 1400) whose uplink is one end of a veth pair.
    public static func bridged() throws -> NetworkNamespace {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.ip(["link", "add", "up0", "type", "veth", "peer", "name", "up1"])
        try ns.ip(["link", "set", "up0", "master", "br0"])
        for link in ["br0", "up0", "up1"] { try ns.ip(["link", "set", link, "mtu", "1400", "up"]) }
        return ns
    }
}

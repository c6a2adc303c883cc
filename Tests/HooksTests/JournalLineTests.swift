import Foundation
import HostNet
import Testing

@testable import Hooks

/// Journal lines are written and read by hand for speed; they must be the lines Codable writes
/// and reads, so that journals written by either read in both.
@Suite("Journal lines")
struct JournalLineTests {
    static let entries: [JournalEntry] = [
        .begin(hook: "/usr/share/taphouse/hooks/network/bridged.lua", version: "ab12", interface: "tap0"),
        .begin(hook: "h", version: "v", interface: "tap1", namespace: "boot/7", index: 12),
        .link(name: "br0", index: 3), .link(name: "gone", index: nil),
        .linkUp(link: "tap0", up: true, was: false), .mtu(link: "tap0", mtu: 9000, was: 1500),
        .mac(link: "tap0", mac: "fe:00:00:00:00:01", was: "aa:00:00:00:00:01"), .mac(link: "t", mac: "m", was: nil),
        .master(link: "tap0", master: "br0", was: nil), .master(link: "tap0", master: nil, was: "br1"),
        .bridgeVLANAdded(link: "eth1", vlan: BridgeVLAN(vid: 100, pvid: true, untagged: true), was: nil, shared: true),
        .bridgeVLANAdded(
            link: "tap0", vlan: BridgeVLAN(vid: 7), was: BridgeVLAN(vid: 7, untagged: true), shared: false),
        .bridgeVLANDeleted(link: "tap0", was: BridgeVLAN(vid: 1, pvid: true, untagged: true)),
        .routeReplaced(route: Route(destination: "192.0.2.5/32", device: "tap0", table: 100), was: nil),
        .routeReplaced(
            route: Route(destination: "2001:db8::5/128", device: "tap0"),
            was: Route(destination: "2001:db8::5/128", device: "eth0", proto: 3)),
        .routeDeleted(was: Route(destination: "10.0.0.0/24", device: "br0", table: 254, proto: 2)),
        .ruleAdded(rule: Rule(family: 4, device: "tap0", table: 100)),
        .ruleDeleted(was: Rule(family: 6, device: "tap0", table: 4_000_000_000, priority: 1000)),
        .sysctl(key: "net/ipv4/conf/tap0/proxy_arp", value: "1", was: "0"),
        .ovsPortAdded(bridge: "ovs0", port: "tap0"),
        .ovsPortDeleted(was: OVSPort(name: "tap0", bridge: "ovs0", tag: 7, trunks: [1, 2])),
        .ovsPortDeleted(was: OVSPort(name: "tap0", bridge: "ovs0")),
        .ovsPortSet(port: "tap0", tag: 100, trunks: [200, 300], wasTag: nil, wasTrunks: []),
        .exec(argv: ["/usr/sbin/nft", "-f", "-", "quote \" back\\slash /slash\ttab \u{1} é"]),
        .exec(
            argv: ["/usr/sbin/nft", "-f", "-"], undo: ["/usr/sbin/nft", "-f", "-"],
            undoInput: "delete table inet guest_tap0\n", link: "tap0"),
        .exec(argv: ["/usr/sbin/ebtables", "-N", "tap0"], undo: ["/usr/sbin/ebtables", "-X", "tap0"]),
        .begin(hook: "h", version: "v", interface: "tap0", namespace: "boot/7", index: 3, phase: "pre"),
        .addressAdded(address: InterfaceAddress(address: "2001:db8::1/64", device: "tap0")),
        .addressDeleted(was: InterfaceAddress(address: "192.0.2.1/24", device: "tap0")),
        .neighbourAdded(neighbour: ProxyNeighbour(address: "192.0.2.5", device: "tap0")),
        .neighbourDeleted(was: ProxyNeighbour(address: "2001:db8::5", device: "eth0")),
        .fileWritten(path: "/etc/bird/peers/tap0.conf", mode: 0o644, was: nil, wasMode: nil),
        .fileWritten(path: "/etc/bird/peers/tap0.conf", mode: 0o600, was: "cHJvdG9jb2wgYmdw", wasMode: 0o644),
        .fileWritten(
            path: "/etc/bird/peers/tap0.conf", mode: 0o644, was: nil, wasMode: nil,
            reload: ["/usr/sbin/birdc", "-s", "/run/bird/bird.ctl", "configure"]),
    ]

    @Test(arguments: entries)
    func aLineIsWhatCodableWritesAndReadsBackTheSame(entry: JournalEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let codable = String(decoding: try encoder.encode(entry), as: UTF8.self)
        #expect(entry.line == codable)
        #expect(try JournalEntry(line: Array(entry.line.utf8)) == entry)
        #expect(try JSONDecoder().decode(JournalEntry.self, from: Data(entry.line.utf8)) == entry)
    }

    @Test(arguments: [
        "", "{}", "[]", #"{"mtu":{}}"#, #"{"mtu":{"link":"t","mtu":"9000","was":1}}"#, #"{"nosuch":{"a":1}}"#,
        #"{"exec":{"argv":[1]}}"#, #"{"linkUp":{"link":"t","up":true,"was":false}"#,
    ])
    func aLineThatIsNotAnEntryIsRefused(line: String) {
        #expect(throws: (any Error).self) { try JournalEntry(line: Array(line.utf8)) }
    }
}

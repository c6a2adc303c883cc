import Foundation
import SystemPackage
import TestSupport
import Testing

@testable import HostNet

/// The real kernel through ``LinuxHost``, each test in a network namespace it makes and deletes:
/// only links, routes (10.99.x.x, 2001:db8::) and sysctls inside it are touched.
@Suite(
    "Linux host over netlink",
    .enabled(if: NetworkNamespace.isAvailable, "kernel tests: \(NetworkNamespace.unavailableReason ?? "")"))
struct LinuxHostTests {
    /// A namespace with a bridge `br0` and a veth pair `veth0`/`veth1`, made with `ip` (test
    /// set-up only: the library never forks).
    static func namespaceWithBridgeAndVeth() throws -> NetworkNamespace {
        let ns = try NetworkNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.ip(["link", "add", "veth0", "type", "veth", "peer", "name", "veth1"])
        return ns
    }

    @Test func aNewNamespaceHasOnlyItsLoopback() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let links = try LinuxHost().links()
            #expect(
                links == [
                    LinkState(
                        name: "lo", index: 1, up: false, mtu: 65536, mac: "00:00:00:00:00:00", master: nil, kind: nil)
                ])
        }
    }

    @Test func linksReportNameIndexKindMTUAndMAC() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        let shown = try ns.ip(["-o", "link", "show", "veth0"])  // "4: veth0@veth1: <...> ... link/ether aa:..."
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let links = try host.links()
            #expect(Set(links.map(\.name)) == ["lo", "br0", "veth0", "veth1", "tap0"])
            let byName = Dictionary(uniqueKeysWithValues: links.map { ($0.name, $0) })
            #expect(byName["br0"]?.kind == "bridge" && byName["br0"]?.vlanFiltering == false)
            #expect(byName["veth0"]?.kind == "veth" && byName["tap0"]?.kind == "tun")
            #expect(byName["tap0"]?.mtu == 1500 && byName["tap0"]?.up == false)
            let veth = try #require(byName["veth0"])
            #expect(shown.hasPrefix("\(veth.index): veth0@"))
            #expect(shown.contains("link/ether \(try #require(veth.mac)) "))
            for link in links { #expect(try host.link(link.name) == link) }
        }
    }

    @Test func upMTUMACAndMasterAreSetAndReadBackThroughLinks() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            func state(_ name: String) throws -> LinkState { try #require(try host.links().first { $0.name == name }) }
            for name in ["tap0", "veth0"] {
                try host.setUp(name, true)
                try host.setMTU(name, 1400)
                try host.setMAC(name, "FE:00:00:12:34:5" + (name == "tap0" ? "6" : "7"))
                try host.setMaster(name, "br0")
            }
            #expect(
                try state("tap0")
                    == LinkState(
                        name: "tap0", index: try state("tap0").index, up: true, mtu: 1400, mac: "fe:00:00:12:34:56",
                        master: "br0", kind: "tun"))
            let veth = try state("veth0")
            #expect(veth.up && veth.mtu == 1400 && veth.mac == "fe:00:00:12:34:57" && veth.master == "br0")
            try host.setMaster("tap0", "br0")  // already there: no change, no error
            try host.setMaster("tap0", nil)
            try host.setUp("tap0", false)
            let after = try state("tap0")
            #expect(after.master == nil && !after.up)
            #expect(try state("veth0").master == "br0")
        }
    }

    @Test func severalChangesGoInOneRequestAndARefusalPartWayKeepsTheEarlierOnes() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            try host.changeLink(
                "tap0", LinkChange(mac: "fe:00:00:12:34:56", mtu: 1400, up: true, master: .bridge("br0")))
            let changed = try #require(try host.link("tap0"))
            #expect(changed.up && changed.mtu == 1400 && changed.mac == "fe:00:00:12:34:56" && changed.master == "br0")
            try host.changeLink("tap0", LinkChange(up: false, master: LinkChange.Master.none))
            let released = try #require(try host.link("tap0"))
            #expect(!released.up && released.master == nil && released.mtu == 1400)

            // veth1 is no bridge: the kernel refuses the master after it made the MAC and MTU.
            let error = #expect(throws: HostNetError.self) {
                try host.changeLink("tap0", LinkChange(mac: "fe:00:00:00:00:01", mtu: 1300, master: .bridge("veth1")))
            }
            #expect(
                error?.description.hasPrefix(
                    "set_mac tap0 fe:00:00:00:00:01, set_mtu tap0 1300, set_master tap0 veth1: ") == true)
            let partly = try #require(try host.link("tap0"))
            #expect(partly.mac == "fe:00:00:00:00:01" && partly.mtu == 1300 && partly.master == nil)
        }
    }

    @Test func writesToALinkThatDoesNotExistAreNotFoundAndNameIt() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.run {
            let host = try LinuxHost()
            #expect(try host.link("tap9") == nil)
            #expect(throws: HostNetError(.notFound, "set_mtu tap9 1500", detail: "no link tap9")) {
                try host.setMTU("tap9", 1500)
            }
            #expect(throws: HostNetError(.notFound, "set_up tap9", detail: "no link tap9")) {
                try host.setUp("tap9", true)
            }
            #expect(throws: HostNetError(.notFound, "set_mac tap9 52:54:00:00:00:01", detail: "no link tap9")) {
                try host.setMAC("tap9", "52:54:00:00:00:01")
            }
            #expect(throws: HostNetError(.notFound, "set_master tap9 br0", detail: "no link tap9")) {
                try host.setMaster("tap9", "br0")
            }
            #expect(throws: HostNetError(.notFound, "set_master veth0 br9", detail: "no link br9")) {
                try host.setMaster("veth0", "br9")
            }
            let error = #expect(throws: HostNetError.self) { try host.setMTU("tap9", 1500) }
            #expect(error?.description == "set_mtu tap9 1500: no link tap9")
        }
    }

    @Test func badMACsAndNamesAreRefusedBeforeTheKernel() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.run {
            let host = try LinuxHost()
            for mac in ["zz:00:00:00:00:00", "52:54:00:12:34", "52:54:00:12:34:56:78", "+2:54:00:12:34:56", ""] {
                let error = #expect(throws: HostNetError.self) { try host.setMAC("veth0", mac) }
                #expect(error?.code == .invalid, "\(mac)")
            }
            for name in ["a/b", "", "sixteen-chars-xx", "a b"] {
                let error = #expect(throws: HostNetError.self) { try host.setUp(name, true) }
                #expect(error?.code == .invalid, "\(name)")
                #expect(throws: HostNetError.self) { try host.link(name) }
            }
            let mtu = #expect(throws: HostNetError.self) { try host.setMTU("veth0", -1) }
            #expect(mtu?.code == .invalid)
        }
    }

    @Test func whatTheKernelRefusesKeepsItsErrno() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.run {
            let host = try LinuxHost()
            let small = #expect(throws: HostNetError.self) { try host.setMTU("veth0", 10) }
            #expect(small?.code == .kernel && small?.errno == .invalidArgument)
            let multicast = #expect(throws: HostNetError.self) { try host.setMAC("veth0", "01:00:5e:00:00:01") }
            #expect(multicast?.code == .kernel && multicast?.errno != nil)
            let notABridge = #expect(throws: HostNetError.self) { try host.setMaster("veth0", "veth1") }
            #expect(notABridge?.code == .kernel)
        }
    }

    @Test func hostRoutesAreReplacedListedAndDeletedInMainAndTable100() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            try host.setUp("tap0", true)
            let main = Route(destination: "10.99.0.5/32", device: "tap0")
            let other = Route(destination: "10.99.0.6/32", device: "tap0", table: 100)
            let high = Route(destination: "10.99.0.7/32", device: "tap0", table: 1000)  // beyond rtm_table's byte
            try host.replaceRoute(main)
            try host.replaceRoute(main)  // replacing is idempotent
            try host.replaceRoute(Route(destination: "10.99.0.6", device: "tap0", table: 100))  // a bare address: /32
            try host.replaceRoute(high)
            // main also holds the kernel's fe80::/64 for the tap
            #expect(try host.routes(table: Route.mainTable).filter { $0.destination.hasPrefix("10.") } == [main])
            #expect(try host.routes(table: 100) == [other])
            #expect(try host.routes(table: 1000) == [high])
            #expect(Set(try host.routes(table: nil)).isSuperset(of: [main, other, high]))
            #expect(try host.routes(table: 101).isEmpty)
            for route in [main, other, high] { try host.deleteRoute(route) }
            #expect(try host.routes(table: nil).filter { $0.destination.hasPrefix("10.99.") }.isEmpty)
            #expect(
                throws: HostNetError(
                    .notFound, "route_del \(main)", detail: "no such route", errno: .noSuchProcess)
            ) { try host.deleteRoute(main) }
        }
    }

    @Test func anIPv6HostRouteIsReplacedListedAndDeleted() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            if try host.sysctl("net/ipv6/conf/tap0/disable_ipv6") != "0" {
                try host.setSysctl("net/ipv6/conf/tap0/disable_ipv6", "0")
            }
            try host.setUp("tap0", true)
            let routes = [
                Route(destination: "2001:db8::5/128", device: "tap0"),
                Route(destination: "2001:db8::6/128", device: "tap0", table: 100),
            ]
            for route in routes { try host.replaceRoute(route) }
            try host.replaceRoute(routes[1])
            #expect(try host.routes(table: 100) == [routes[1]])
            #expect(try host.routes(table: Route.mainTable).contains(routes[0]))
            for route in routes { try host.deleteRoute(route) }
            #expect(try host.routes(table: nil).filter { $0.destination.hasPrefix("2001:db8:") }.isEmpty)
        }
    }

    @Test func defaultRoutesAreListedAsSlashZero() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            defer { tap.close() }
            try host.setUp("tap0", true)
            let routes = [
                Route(destination: "0.0.0.0/0", device: "tap0", table: 100),
                Route(destination: "::/0", device: "tap0", table: 100),
            ]
            for route in routes { try host.replaceRoute(route) }
            #expect(try host.routes(table: 100) == routes)
        }
    }

    @Test func routesThroughAGatewayAndTheKernelsLocalRoutesAreNotListed() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.ip(["link", "set", "veth0", "up"])
        try ns.ip(["link", "set", "veth1", "up"])
        try ns.ip(["address", "add", "10.99.1.1/24", "dev", "veth0"])
        try ns.ip(["route", "add", "10.99.2.0/24", "via", "10.99.1.2", "table", "100"])
        try ns.run {
            let routes = try LinuxHost().routes(table: nil)
            // The connected subnet is a device route the kernel made: listed, proto kernel (2).
            #expect(routes.contains(Route(destination: "10.99.1.0/24", device: "veth0", table: 254, proto: 2)))
            #expect(!routes.contains { $0.destination == "10.99.2.0/24" })  // via a gateway
            #expect(!routes.contains { $0.table == 255 && $0.device == "veth0" && $0.destination.hasPrefix("10.") })
        }
    }

    @Test func badRoutesAreRefusedAndADownDeviceIsTheKernelsRefusal() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            defer { tap.close() }
            let bad = [
                Route(destination: "10.99.0.300/32", device: "tap0"),
                Route(destination: "10.99.0.5/33", device: "tap0"),
                Route(destination: "10.99.0.5/32", device: "tap0", table: 0),
                Route(destination: "10.99.0.5/32", device: "tap0", table: -1),
                Route(destination: "10.99.0.5/32", device: "tap0", proto: 300),
                Route(destination: "10.99.0.5/32", device: "a/b"),
            ]
            for route in bad {
                let error = #expect(throws: HostNetError.self) { try host.replaceRoute(route) }
                #expect(error?.code == .invalid, "\(route)")
            }
            let missing = #expect(throws: HostNetError.self) {
                try host.replaceRoute(Route(destination: "10.99.0.5/32", device: "tap9"))
            }
            #expect(missing?.code == .notFound && missing?.detail == "no link tap9")
            let down = #expect(throws: HostNetError.self) {
                try host.replaceRoute(Route(destination: "10.99.0.5/32", device: "tap0"))
            }
            #expect(down?.code == .kernel && down?.errno == .networkDown)
        }
    }

    @Test func iifRulesAreAddedListedAndDeletedForIPv4AndIPv6() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            #expect(try host.rules().isEmpty)  // the kernel's own rules have no iif
            let v4 = Rule(family: 4, device: "tap0", table: 100)
            let v6 = Rule(family: 6, device: "tap0", table: 100)
            let placed = Rule(family: 4, device: "tap1", table: 1000, priority: 1000)
            for rule in [v4, v6, placed] { try host.addRule(rule) }
            let listed = try host.rules()
            #expect(
                listed.map { Rule(family: $0.family, device: $0.device, table: $0.table) } == [
                    Rule(family: 4, device: "tap1", table: 1000), v4, v6,
                ])
            #expect(listed.first == placed)
            #expect(listed.allSatisfy { $0.priority != nil })
            let twice = #expect(throws: HostNetError.self) { try host.addRule(v4) }
            #expect(twice?.code == .kernel && twice?.errno == .fileExists)
            for rule in [v4, v6, placed] { try host.deleteRule(rule) }
            #expect(try host.rules().isEmpty)
            let gone = #expect(throws: HostNetError.self) { try host.deleteRule(v4) }
            #expect(gone?.code == .notFound)
        }
    }

    @Test func rulesWithOtherSelectorsAreNotListedAndBadRulesAreRefused() throws {
        let ns = try NetworkNamespace()
        try ns.ip(["rule", "add", "from", "10.99.0.0/24", "iif", "tap0", "table", "100"])
        try ns.ip(["rule", "add", "fwmark", "7", "iif", "tap0", "table", "100"])
        try ns.run {
            let host = try LinuxHost()
            #expect(try host.rules().isEmpty)
            for rule in [
                Rule(family: 5, device: "tap0", table: 100), Rule(family: 4, device: "tap0", table: 0),
                Rule(family: 4, device: "tap0", table: 100, priority: -1), Rule(family: 4, device: "a/b", table: 100),
            ] {
                let error = #expect(throws: HostNetError.self) { try host.addRule(rule) }
                #expect(error?.code == .invalid, "\(rule)")
            }
        }
    }

    @Test func proxyARPAndForwardingOfATapAreReadSetAndRestored() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            defer { tap.close() }
            for key in [
                "net/ipv4/conf/tap0/proxy_arp", "net/ipv4/conf/tap0/forwarding", "net/ipv6/conf/tap0/forwarding",
            ] {
                let before = try #require(try host.sysctl(key), "\(key)")
                #expect(before == "0", "\(key)")
                try host.setSysctl(key, "1")
                #expect(try host.sysctl(key) == "1", "\(key)")
                try host.setSysctl(key, before)
                #expect(try host.sysctl(key) == before, "\(key)")
            }
            let refused = #expect(throws: HostNetError.self) {
                try host.setSysctl("net/ipv4/conf/tap0/proxy_arp", "yes")
            }
            #expect(refused?.code == .kernel && refused?.errno == .invalidArgument)
        }
    }

    @Test func aMissingSysctlReadsAsNilAndCannotBeWritten() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            #expect(try host.sysctl("net/ipv4/conf/tap9/proxy_arp") == nil)
            let error = #expect(throws: HostNetError.self) { try host.setSysctl("net/ipv4/conf/tap9/proxy_arp", "1") }
            #expect(error?.code == .notFound)
        }
    }

    @Test func sysctlKeysOutsideNetAndMultiLineValuesAreRefused() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            for key in [
                "kernel/hostname", "net/../kernel/x", "net//ipv4", "/net/ipv4/ip_forward", "net", "net/ipv4/\0x",
                "fs/file-max", "", "net/./ipv4/ip_forward",
            ] {
                let read = #expect(throws: HostNetError.self) { try host.sysctl(key) }
                #expect(read?.code == .invalid, "\(key)")
                let write = #expect(throws: HostNetError.self) { try host.setSysctl(key, "1") }
                #expect(write?.code == .invalid, "\(key)")
            }
            let twoLines = #expect(throws: HostNetError.self) { try host.setSysctl("net/ipv4/ip_forward", "1\n0") }
            #expect(twoLines?.code == .invalid)
        }
    }

    @Test func sysctlsFollowTheNamespaceOfTheCallingThread() throws {
        let first = try NetworkNamespace()
        let second = try NetworkNamespace()
        try first.run {
            let host = try LinuxHost()
            try host.setSysctl("net/ipv4/ip_forward", "1")
            #expect(try host.sysctl("net/ipv4/ip_forward") == "1")
        }
        let elsewhere = try second.run { try LinuxHost().sysctl("net/ipv4/ip_forward") }
        #expect(elsewhere == "0")
    }

    @Test func bridgeVLANsAreRefusedClearlyWithoutKernelSupportAndWorkWithIt() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        // Whether this kernel has bridge VLAN filtering: ask it, the way an operator would.
        let filtering = (try? ns.ip(["link", "set", "br0", "type", "bridge", "vlan_filtering", "1"])) != nil
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            defer { tap.close() }
            try host.setMaster("tap0", "br0")
            let vlan = BridgeVLAN(vid: 100, pvid: true, untagged: true)
            if filtering {
                #expect(try host.link("br0")?.vlanFiltering == true)
                try host.addBridgeVLAN("tap0", vlan)
                #expect(try host.bridgeVLANs("tap0").contains(vlan))
                try host.addBridgeVLAN("br0", BridgeVLAN(vid: 100))  // the bridge's own entry: `self`
                #expect(try host.bridgeVLANs("br0").contains { $0.vid == 100 })
                try host.deleteBridgeVLAN("tap0", vid: 100)
                #expect(try !host.bridgeVLANs("tap0").contains { $0.vid == 100 })
                let gone = #expect(throws: HostNetError.self) { try host.deleteBridgeVLAN("tap0", vid: 100) }
                #expect(gone?.code == .notFound)
            } else {
                #expect(try host.link("br0")?.vlanFiltering == false)
                #expect(try host.bridgeVLANs("tap0").isEmpty)
                let add = #expect(throws: HostNetError.self) { try host.addBridgeVLAN("tap0", vlan) }
                #expect(add?.code == .unsupported)
                #expect(add?.detail == "bridge VLAN filtering is not available in this kernel")
                #expect(add?.description.hasPrefix("bridge_vlan_add tap0 100") == true, "\(String(describing: add))")
                let delete = #expect(throws: HostNetError.self) { try host.deleteBridgeVLAN("tap0", vid: 100) }
                #expect(delete?.code == .unsupported)
                #expect(delete?.detail == "bridge VLAN filtering is not available in this kernel")
                let bridge = #expect(throws: HostNetError.self) { try host.addBridgeVLAN("br0", vlan) }
                #expect(bridge?.code == .unsupported)
            }
        }
    }

    @Test func bridgeVLANsNeedABridgeAndAValidID() throws {
        let ns = try Self.namespaceWithBridgeAndVeth()
        try ns.run {
            let host = try LinuxHost()
            let loose = #expect(throws: HostNetError.self) { try host.addBridgeVLAN("veth1", BridgeVLAN(vid: 5)) }
            #expect(loose?.code == .unsupported && loose?.detail == "veth1 is not a bridge or a bridge port")
            for vid in [0, 4095, -1] {
                let error = #expect(throws: HostNetError.self) { try host.addBridgeVLAN("veth1", BridgeVLAN(vid: vid)) }
                #expect(error?.code == .invalid, "\(vid)")
            }
            let missing = #expect(throws: HostNetError.self) { try host.bridgeVLANs("tap9") }
            #expect(missing?.code == .notFound)
        }
    }

    /// Not asserted: prints what one call costs here, for the record.
    @Test func perCallCostIsPrinted() throws {
        let ns = try NetworkNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: false)
            defer { tap.close() }
            let clock = ContinuousClock()
            let calls = 1000
            let setMTU = try clock.measure {
                for i in 0..<calls { try host.setMTU("tap0", 1400 + i % 2) }
            }
            let lookUp = try clock.measure {
                for _ in 0..<calls { _ = try host.link("tap0") }
            }
            let listLinks = try clock.measure {
                for _ in 0..<calls { _ = try host.links() }
            }
            let makeTap = try clock.measure {
                for _ in 0..<100 { try Tap.create(vnetHeader: true).close() }
            }
            print(
                "LinuxHost per call: setMTU \(setMTU / calls), link(name) \(lookUp / calls), "
                    + "links() with 2 links \(listLinks / calls), tap create+close \(makeTap / 100)")
        }
    }
}

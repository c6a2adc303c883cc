import Foundation
import TestSupport
import Testing

@testable import HostNet

/// The real kernel, inside a namespace each test makes and deletes.
@Suite(
    "Linux host (netlink, /proc/sys/net, taps)",
    .enabled(if: TestNamespace.isAvailable, "\(TestNamespace.unavailableReason ?? "")"))
struct LinuxHostTests {
    @Test func tapsAreCreatedNamedAndGoneWhenClosed() throws {
        let ns = try TestNamespace()
        try ns.run {
            let host = try LinuxHost()
            let named = try Tap.create(name: "tap7", vnetHeader: true)
            let picked = try Tap.create(vnetHeader: false)
            #expect(named.name == "tap7")
            #expect(picked.name.hasPrefix("tap"))
            #expect(!picked.vnetHeader)
            #expect(named.fds.allSatisfy { fcntl($0.rawValue, F_GETFD) & FD_CLOEXEC != 0 })
            #expect(try host.link("tap7")?.kind == "tun")
            named.close()
            picked.close()
            #expect(try host.link("tap7") == nil)
            #expect(try host.link(picked.name) == nil)
        }
    }

    @Test func aMultiqueueTapHasOneFdPerQueue() throws {
        let ns = try TestNamespace()
        try ns.run {
            let tap = try Tap.create(name: "mq0", vnetHeader: true, queues: 4)
            #expect(tap.fds.count == 4)
            #expect(tap.multiQueue)
            #expect(try LinuxHost().link("mq0") != nil)
        }
    }

    @Test func linksAreSetUpMTUMACAndMaster() throws {
        let ns = try TestNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        try ns.ip(["link", "set", "br0", "mtu", "1400"])
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            try host.setUp("tap0", true)
            try host.setMTU("tap0", 1400)
            try host.setMAC("tap0", "fe:00:00:12:34:56")
            try host.setMaster("tap0", "br0")
            let link = try #require(try host.link("tap0"))
            #expect(link.up && link.mtu == 1400 && link.mac == "fe:00:00:12:34:56" && link.master == "br0")
            #expect(try host.link("br0")?.kind == "bridge")
            try host.setMaster("tap0", nil)
            try host.setUp("tap0", false)
            let after = try #require(try host.link("tap0"))
            #expect(after.master == nil && !after.up)
        }
    }

    @Test func routesInMainAndOtherTablesAreReplacedListedAndDeleted() throws {
        let ns = try TestNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            try host.setUp("tap0", true)
            _ = try? host.setSysctl("net/ipv6/conf/tap0/disable_ipv6", "0")
            let routes = [
                Route(destination: "10.99.0.5/32", device: "tap0"),
                Route(destination: "10.99.0.6/32", device: "tap0", table: 100),
                Route(destination: "2001:db8::5/128", device: "tap0", table: 100),
            ]
            for route in routes { try host.replaceRoute(route) }
            try host.replaceRoute(routes[0])  // replace is idempotent
            #expect(
                try host.routes(table: 254).filter { $0.device == "tap0" && $0.destination.hasPrefix("10.99") } == [
                    routes[0]
                ])
            #expect(Set(try host.routes(table: 100)) == Set([routes[1], routes[2]]))
            for route in routes { try host.deleteRoute(route) }
            #expect(try host.routes(table: 100).isEmpty)
            let missing = #expect(throws: HostNetError.self) { try host.deleteRoute(routes[0]) }
            #expect(missing?.code == .notFound)
        }
    }

    @Test func rulesAreAddedListedAndDeleted() throws {
        let ns = try TestNamespace()
        try ns.run {
            let host = try LinuxHost()
            let v4 = Rule(family: 4, device: "tap0", table: 100)
            let v6 = Rule(family: 6, device: "tap0", table: 100)
            try host.addRule(v4)
            try host.addRule(v6)
            let listed = try host.rules()
            #expect(listed.map { Rule(family: $0.family, device: $0.device, table: $0.table) } == [v4, v6])
            #expect(listed.allSatisfy { $0.priority != nil })
            try host.deleteRule(v4)
            try host.deleteRule(v6)
            #expect(try host.rules().isEmpty)
        }
    }

    @Test func sysctlsUnderNetAreReadWrittenAndOthersRefused() throws {
        let ns = try TestNamespace()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            #expect(try host.sysctl("net/ipv4/conf/tap0/proxy_arp") == "0")
            try host.setSysctl("net/ipv4/conf/tap0/proxy_arp", "1")
            #expect(try host.sysctl("net/ipv4/conf/tap0/proxy_arp") == "1")
            #expect(try host.sysctl("net/ipv4/conf/nosuch/proxy_arp") == nil)
            for key in ["kernel/hostname", "net/../kernel/hostname", "net//x", "fs/file-max"] {
                let error = #expect(throws: HostNetError.self) { try host.sysctl(key) }
                #expect(error?.code == .invalid, "\(key)")
            }
        }
    }

    @Test func badNamesAndMACsAreRefusedBeforeTheKernel() throws {
        let ns = try TestNamespace()
        try ns.run {
            let host = try LinuxHost()
            #expect(throws: HostNetError(.notFound, "set mtu 1500 on tap9", detail: "no link tap9")) {
                try host.setMTU("tap9", 1500)
            }
            let bad = #expect(throws: HostNetError.self) { try host.setMAC("lo", "zz:00") }
            #expect(bad?.code == .invalid)
            let name = #expect(throws: HostNetError.self) { try host.setUp("a/b", true) }
            #expect(name?.code == .invalid)
        }
    }

    @Test func bridgeVLANsWorkWhereTheKernelFiltersAndAreRefusedClearlyWhereItCannot() throws {
        let ns = try TestNamespace()
        try ns.ip(["link", "add", "br0", "type", "bridge"])
        let filtering = (try? ns.ip(["link", "set", "br0", "type", "bridge", "vlan_filtering", "1"])) != nil
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            try host.setMaster("tap0", "br0")
            if filtering {
                #expect(try host.link("br0")?.vlanFiltering == true)
                try host.addBridgeVLAN("tap0", BridgeVLAN(vid: 100, pvid: true, untagged: true))
                #expect(try host.bridgeVLANs("tap0").contains(BridgeVLAN(vid: 100, pvid: true, untagged: true)))
                try host.deleteBridgeVLAN("tap0", vid: 100)
                #expect(try !host.bridgeVLANs("tap0").contains { $0.vid == 100 })
            } else {
                // This kernel has no bridge VLAN filtering: the refusal says so.
                let error = #expect(throws: HostNetError.self) { try host.addBridgeVLAN("tap0", BridgeVLAN(vid: 100)) }
                #expect(error?.code == .unsupported)
            }
        }
    }
}

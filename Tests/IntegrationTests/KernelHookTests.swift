import Foundation
import Hooks
import HostNet
import Logging
import QEMU
import TestSupport
import Testing

@Suite(
    "Built-in hooks on a real kernel",
    .enabled(if: NetworkNamespace.isAvailable, "\(NetworkNamespace.unavailableReason ?? "")"))
struct KernelHookTests {
    static func runner(_ folder: TemporaryFolder, site: String? = nil) -> NetworkHookRunner {
        NetworkHookRunner(
            directories: HookDirectories(
                builtin: Repository.path + "/hooks", site: site, library: Repository.path + "/lua"),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
    }

    static func nic(_ mode: String, link: String?, ip: String? = nil, vlan: String? = nil) -> NICSpec {
        NICSpec(
            mac: "aa:00:00:12:34:56", ip: ip, uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: mode, link: link,
            vlan: vlan)
    }

    /// A namespace with a bridge br0 (MTU 1400) whose uplink is one end of a veth pair.
    static func bridgedNamespace() throws -> NetworkNamespace { try NetworkNamespace.bridged() }

    @Test func bridgedUpThenDownLeavesTheNamespaceAsItWas() throws {
        let ns = try Self.bridgedNamespace()
        let folder = TemporaryFolder()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let before = try NamespaceSnapshot(host)
            let runner = Self.runner(folder)
            try runner.up(
                instance: "web1", tags: [], nic: Self.nic("bridged", link: "br0"), index: 0, interface: "tap0",
                network: host, ovs: nil)
            let link = try #require(try host.link("tap0"))
            #expect(link.up && link.mtu == 1400 && link.master == "br0" && link.mac?.hasPrefix("fe:") == true)
            try runner.down(
                instance: "web1", tags: [], nic: Self.nic("bridged", link: "br0"), index: 0, interface: "tap0",
                network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == before)
        }
    }

    @Test(arguments: [nil, "100"] as [String?])
    func routedUpThenDownLeavesTheNamespaceAsItWas(table: String?) throws {
        let ns = try NetworkNamespace()
        let folder = TemporaryFolder()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let before = try NamespaceSnapshot(host)
            let runner = Self.runner(folder)
            let nic = Self.nic("routed", link: table, ip: "10.99.0.5")
            try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            let tableID = table.flatMap(Int.init) ?? Route.mainTable
            #expect(
                try host.routes(table: tableID).contains(
                    Route(destination: "10.99.0.5/32", device: "tap0", table: tableID)))
            #expect(try host.rules().contains { $0.device == "tap0" && $0.table == 100 } == (table != nil))
            #expect(try host.sysctl("net/ipv4/conf/tap0/proxy_arp") == "1")
            #expect(try host.sysctl("net/ipv4/conf/tap0/forwarding") == "1")
            try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == before)
        }
    }

    /// GRNET's routed set-up through the API instead of `ip`: the gateway's addresses on the tap,
    /// proxy entries for the guest's IPv4 and EUI-64 IPv6 addresses, the IPv6 route, a peer file;
    /// up, up again, down, on the kernel.
    @Test func addressesProxyNeighboursAndAFileAreMadeAndUndone() throws {
        let ns = try NetworkNamespace()
        let folder = TemporaryFolder()
        folder.write("peers/.keep", "")
        folder.write(
            "site/network/routed.lua",
            """
            local net = require "taphouse.net"
            local file = require "taphouse.file"
            return { up = function(nic)
              net.set_up(nic.INTERFACE)
              net.address_replace { address = "192.0.2.1/24", dev = nic.INTERFACE }
              net.address_replace { address = "2001:DB8::1/64", dev = nic.INTERFACE }
              local v6 = net.eui64(nic.MAC, "2001:db8::/64")
              net.neigh_add { proxy = nic.IP, dev = nic.INTERFACE }
              net.neigh_add { proxy = v6, dev = nic.INTERFACE }
              net.route_replace { dst = v6, dev = nic.INTERFACE }
              file.write("\(folder.path)/peers/" .. nic.INTERFACE .. ".conf", v6 .. "\\n")
            end }
            """)
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let before = try NamespaceSnapshot(host)
            let runner = NetworkHookRunner(
                directories: HookDirectories(
                    builtin: Repository.path + "/hooks", site: folder.path + "/site", library: Repository.path + "/lua",
                    files: [folder.path + "/peers"]),
                stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
            let nic = Self.nic("routed", link: nil, ip: "192.0.2.10")
            for _ in 0..<2 {
                try runner.up(
                    instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            }
            #expect(
                Set(try host.addresses(of: "tap0")) == [
                    InterfaceAddress(address: "192.0.2.1/24", device: "tap0"),
                    InterfaceAddress(address: "2001:db8::1/64", device: "tap0"),
                ])
            #expect(
                Set(try host.proxyNeighbours()) == [
                    ProxyNeighbour(address: "192.0.2.10", device: "tap0"),
                    ProxyNeighbour(address: "2001:db8::a800:ff:fe12:3456", device: "tap0"),
                ])
            #expect(
                try host.routes(table: nil).contains(
                    Route(destination: "2001:db8::a800:ff:fe12:3456/128", device: "tap0")))
            #expect(
                try String(contentsOfFile: folder.path + "/peers/tap0.conf", encoding: .utf8)
                    == "2001:db8::a800:ff:fe12:3456\n")
            try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == before)
            #expect(!FileManager.default.fileExists(atPath: folder.path + "/peers/tap0.conf"))
        }
    }

    @Test func aRuleSurvivesTheTapButNotDown() throws {
        // After qemu exits the tap is gone, and its routes and sysctls with it; a policy rule on
        // the tap's name is not (Ganeti leaves it behind): down must remove it.
        let ns = try NetworkNamespace()
        let folder = TemporaryFolder()
        try ns.run {
            let host = try LinuxHost()
            let before = try NamespaceSnapshot(host)
            let runner = Self.runner(folder)
            let nic = Self.nic("routed", link: "100", ip: "10.99.0.5")
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            tap.close()
            #expect(try host.rules().contains { $0.device == "tap0" })
            try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == before)
        }
    }

    @Test func aFailingSiteHookIsUndoneAndNamesItsLine() throws {
        let ns = try Self.bridgedNamespace()
        let folder = TemporaryFolder()
        let site = folder.path + "/site"
        folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            return {
              up = function(nic)
                base.up(nic)
                error("policy: " .. nic.INSTANCE .. " may not join " .. nic.BRIDGE)
              end,
            }
            """)
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let before = try NamespaceSnapshot(host)
            do {
                try Self.runner(folder, site: site).up(
                    instance: "web1", tags: [], nic: Self.nic("bridged", link: "br0"), index: 0, interface: "tap0",
                    network: host, ovs: nil)
                Issue.record("the site hook's error did not surface")
            } catch let error as HookError {
                #expect(
                    error.description
                        == "instance web1, NIC 0: \(site)/network/bridged.lua:5: policy: web1 may not join br0")
                #expect(error.undoFailures.isEmpty)
            }
            #expect(try NamespaceSnapshot(host) == before)
        }
    }

    @Test func extRunsOnlyWithASiteHook() throws {
        let ns = try NetworkNamespace()
        let folder = TemporaryFolder()
        folder.write(
            "site/network/ext.lua",
            """
            local net = require "taphouse.net"
            return { up = function(nic) net.set_up(nic.INTERFACE) net.set_mtu(nic.INTERFACE, 1280) end }
            """)
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let nic = Self.nic("ext", link: nil)
            #expect(throws: HookError.self) {
                try Self.runner(folder).up(
                    instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            }
            let before = try NamespaceSnapshot(host)
            let runner = Self.runner(folder, site: folder.path + "/site")
            try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            #expect(try host.link("tap0")?.mtu == 1280)
            try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == before)
        }
    }

    @Test func bridgedVLANsNeedAFilteringBridge() throws {
        let ns = try Self.bridgedNamespace()
        let filtering = (try? ns.ip(["link", "set", "br0", "type", "bridge", "vlan_filtering", "1"])) != nil
        let folder = TemporaryFolder()
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(name: "tap0", vnetHeader: true)
            defer { tap.close() }
            let before = try NamespaceSnapshot(host)
            let runner = Self.runner(folder)
            let nic = Self.nic("bridged", link: "br0", vlan: ".100:200")
            if filtering {
                try runner.up(
                    instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
                #expect(
                    try host.bridgeVLANs("tap0") == [
                        BridgeVLAN(vid: 100, pvid: true, untagged: true), BridgeVLAN(vid: 200),
                    ])
                #expect(try host.bridgeVLANs("up0").map(\.vid).contains(200))
                try runner.down(
                    instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            } else {
                // No VLAN filtering in this kernel: the hook refuses, naming the bridge, and the
                // tap is back as it was (the fake host covers the VLAN logic everywhere).
                let error = #expect(throws: HookError.self) {
                    try runner.up(
                        instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
                }
                #expect(error?.message == "bridge br0 has no vlan_filtering, which VLAN .100:200 needs")
            }
            #expect(try NamespaceSnapshot(host) == before)
        }
    }
}

import Foundation
import Hooks
import HostNet
import Logging
import QEMU
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A tap name the kernel gives again: instance X's qemu dies without a down, its tap goes, and
/// instance Y's new tap gets the same name (the kernel's lowest free `tapN`) before X's journal
/// is undone. X's undo must leave Y's tap, rule, routes and sysctls exactly as they were.
/// Real taps, in a namespace the test makes; Open vSwitch with an ovsdb-server of the test's own.
@Suite(
    "Undo after the kernel gave the tap's name to another tap",
    .enabled(if: NetworkNamespace.isAvailable, "\(NetworkNamespace.unavailableReason ?? "")"))
struct TapReuseKernelTests {
    /// A tap as taphouse makes one: named by the kernel.
    static func tap() throws -> Tap { try Tap.create(vnetHeader: true) }

    /// Closes X's tap as its qemu's exit would, and waits until the kernel has removed it.
    static func die(_ tap: Tap, _ host: LinuxHost) throws {
        tap.close()
        for _ in 0..<500 where try host.link(tap.name) != nil { usleep(10_000) }
        #expect(try host.link(tap.name) == nil, "the tap outlived its close")
    }

    /// `rt_tables` for the test's host: `customers` is table 100.
    static func host(_ folder: TemporaryFolder) throws -> LinuxHost {
        folder.write("iproute2/rt_tables", "255\tlocal\n254\tmain\n253\tdefault\n100\tcustomers\n")
        let host = try LinuxHost()
        host.tableFiles = RoutingTableFiles(etc: folder.path + "/iproute2", usr: folder.path + "/none")
        return host
    }

    func sequence(
        _ ns: NetworkNamespace, _ folder: TemporaryFolder, x: NICSpec, y: NICSpec, ovs: OpenVSwitch? = nil
    ) throws {
        try ns.run {
            let host = try Self.host(folder)
            let before = try NamespaceSnapshot(host)
            let runner = KernelHookTests.runner(folder)
            let xTap = try Self.tap()
            try runner.up(instance: "x", tags: [], nic: x, index: 0, interface: xTap.name, network: host, ovs: ovs)
            let xIndex = try #require(try host.link(xTap.name)).index
            try Self.die(xTap, host)
            let yTap = try Self.tap()
            defer { yTap.close() }
            #expect(yTap.name == xTap.name, "the kernel gives the lowest free name again")
            #expect(try host.link(yTap.name)?.index != xIndex)
            try runner.up(instance: "y", tags: [], nic: y, index: 0, interface: yTap.name, network: host, ovs: ovs)
            let withY = try NamespaceSnapshot(host)
            let ports = try ovs?.port(yTap.name)

            try runner.down(instance: "x", tags: [], nic: x, index: 0, interface: xTap.name, network: host, ovs: ovs)
            #expect(try NamespaceSnapshot(host) == withY)
            #expect(try ovs?.port(yTap.name) == ports)

            // Y stops: its qemu exits, its tap goes, then its down. Nothing of either is left.
            try Self.die(yTap, host)
            try runner.down(instance: "y", tags: [], nic: y, index: 0, interface: yTap.name, network: host, ovs: ovs)
            #expect(try NamespaceSnapshot(host) == before)
            #expect(try ovs?.port(yTap.name) == nil)
        }
    }

    @Test func bridged() throws {
        try sequence(
            try KernelHookTests.bridgedNamespace(), TemporaryFolder(), x: KernelHookTests.nic("bridged", link: "br0"),
            y: KernelHookTests.nic("bridged", link: "br0"))
    }

    @Test(arguments: ["customers", "100"])
    func routedInATable(table: String) throws {
        try sequence(
            try NetworkNamespace(), TemporaryFolder(), x: KernelHookTests.nic("routed", link: table, ip: "10.99.0.5"),
            y: KernelHookTests.nic("routed", link: table, ip: "10.99.0.6"))
    }

    @Test func aRuleXLeftGoesWhenYIsBridged() throws {
        // X's rule outlives X's tap and would send Y's traffic to table 100; Y's journal does
        // not have it, so X's undo removes it and leaves the rest of Y alone.
        let ns = try KernelHookTests.bridgedNamespace()
        let folder = TemporaryFolder()
        try ns.run {
            let host = try Self.host(folder)
            let runner = KernelHookTests.runner(folder)
            let x = KernelHookTests.nic("routed", link: "customers", ip: "10.99.0.5")
            let y = KernelHookTests.nic("bridged", link: "br0")
            let xTap = try Self.tap()
            try runner.up(instance: "x", tags: [], nic: x, index: 0, interface: xTap.name, network: host, ovs: nil)
            try Self.die(xTap, host)
            let yTap = try Self.tap()
            defer { yTap.close() }
            try runner.up(instance: "y", tags: [], nic: y, index: 0, interface: yTap.name, network: host, ovs: nil)
            var expected = try NamespaceSnapshot(host)
            #expect(expected.rules.contains { $0.device == yTap.name && $0.table == 100 })
            expected.rules.removeAll { $0.device == yTap.name }
            try runner.down(instance: "x", tags: [], nic: x, index: 0, interface: xTap.name, network: host, ovs: nil)
            #expect(try NamespaceSnapshot(host) == expected)
            try runner.down(instance: "y", tags: [], nic: y, index: 0, interface: yTap.name, network: host, ovs: nil)
        }
    }

    @Test(.enabled(if: TestOVSDB.isAvailable, "openvswitch-switch is not installed (ovsdb-server, ovs-vsctl)"))
    func openvswitch() throws {
        let db = try TestOVSDB()
        try TestOVSDB.run(["/usr/bin/ovs-vsctl", "--db=unix:" + db.socket, "--no-wait", "add-br", "ovs0"])
        let ovs = OVSCtl(database: "unix:" + db.socket, waitForSwitch: false)
        let nic = KernelHookTests.nic("openvswitch", link: "ovs0", vlan: ".100:200")
        try sequence(try NetworkNamespace(), TemporaryFolder(), x: nic, y: nic, ovs: ovs)
    }

    /// Runs `body` in a new namespace with a host that knows `customers`, a tap and a runner.
    func withTap(_ body: (LinuxHost, Tap, NetworkHookRunner, TemporaryFolder) throws -> Void) throws {
        let ns = try NetworkNamespace()
        let folder = TemporaryFolder()
        try ns.run {
            let host = try Self.host(folder)
            let tap = try Self.tap()
            defer { tap.close() }
            try body(host, tap, KernelHookTests.runner(folder), folder)
        }
    }

    @Test func aNamedTableGivesTheRulesAndRoutesOfItsNumber() throws {
        try withTap { host, tap, runner, _ in
            var seen: [NamespaceSnapshot] = []
            for table in ["customers", "100"] {
                let nic = KernelHookTests.nic("routed", link: table, ip: "10.99.0.5")
                try runner.up(instance: "x", tags: [], nic: nic, index: 0, interface: tap.name, network: host, ovs: nil)
                seen.append(try NamespaceSnapshot(host))
                try runner.down(
                    instance: "x", tags: [], nic: nic, index: 0, interface: tap.name, network: host, ovs: nil)
            }
            #expect(seen[0] == seen[1])
            #expect(
                seen[0].rules.contains(
                    Rule(family: 4, device: tap.name, table: 100, priority: seen[0].rules.first?.priority)))
            #expect(seen[0].routes.contains(Route(destination: "10.99.0.5/32", device: tap.name, table: 100)))
        }
    }

    @Test func anUnknownTableNameIsRefusedNamingTheNICAndTheFileAndChangesNothing() throws {
        try withTap { host, tap, runner, folder in
            let before = try NamespaceSnapshot(host)
            let nic = KernelHookTests.nic("routed", link: "staff", ip: "10.99.0.5")
            let error = #expect(throws: HookError.self) {
                try runner.up(
                    instance: "web1", tags: [], nic: nic, index: 3, interface: tap.name, network: host, ovs: nil)
            }
            let text = error?.description ?? ""
            #expect(text.hasPrefix("instance web1, NIC 3: "), "\(text)")
            #expect(text.contains("routing table staff: not a number, nor a name in \(folder.path)/iproute2/rt_tables"))
            #expect(try NamespaceSnapshot(host) == before)
        }
    }

    @Test func eachNamespaceHasItsOwnIdentity() throws {
        let first = try NetworkNamespace()
        let second = try NetworkNamespace()
        var identities: [String] = []
        for ns in [first, second, first] { try ns.run { identities.append(try LinuxHost().namespaceIdentity()) } }
        #expect(identities[0] == identities[2])
        #expect(identities[0] != identities[1])
        #expect(identities[0].hasPrefix(NamespaceIdentity.bootID + "/"))
        #expect(!NamespaceIdentity.bootID.isEmpty)
    }
}

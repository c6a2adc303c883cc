import Foundation
import HostNet
import Logging
import QEMU
import TestSupport
import Testing

@testable import Hooks

/// Undo by link identity on the in-memory host: instance X's qemu dies without a down, its tap
/// goes, instance Y's new tap takes the name, and X's journal is undone afterwards. (The same on
/// the real kernel is in the integration suite.)
@Suite("Journal undo by link identity")
struct JournalIdentityTests {
    let folder = TemporaryFolder()

    func runner(site: String? = nil) -> NetworkHookRunner {
        NetworkHookRunner(
            directories: HookDirectories(
                builtin: NetworkHookRunnerTests.repository + "/hooks", site: site,
                library: NetworkHookRunnerTests.repository + "/lua"),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
    }

    /// The tap dies with X's qemu and a new tap of the same name (a new index) is made for Y.
    static func replaceTap(_ host: FakeHost, _ name: String = "tap0") {
        host.removeLink(name)
        host.addLink(name, kind: "tun", mtu: 1500, mac: "aa:11:22:33:44:f0")
        for key in ["ipv4/conf/\(name)/proxy_arp", "ipv4/conf/\(name)/forwarding"] {
            host.state.sysctls["net/" + key] = "0"
        }
    }

    func up(_ runner: NetworkHookRunner, _ instance: String, _ nic: NICSpec, _ host: FakeHost) throws {
        try runner.up(instance: instance, tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
    }

    @discardableResult
    func down(
        _ runner: NetworkHookRunner, _ instance: String, _ nic: NICSpec, _ host: FakeHost, ovs: OpenVSwitch? = nil
    ) throws -> [String] {
        try runner.down(instance: instance, tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
            .map(\.description)
    }

    /// X up on tap0, X's tap dies, Y up on the new tap0 (same NIC fields, bridged by default).
    func xThenY(
        _ nic: NICSpec = NetworkHookRunnerTests.nic(), runner: NetworkHookRunner? = nil
    ) throws -> (FakeHost, NetworkHookRunner) {
        let host = NetworkHookRunnerTests.node()
        let runner = runner ?? self.runner()
        try up(runner, "x", nic, host)
        Self.replaceTap(host)
        try up(runner, "y", nic, host)
        return (host, runner)
    }

    @Test func bridgedUndoLeavesTheTapThatTookTheNameAlone() throws {
        let nic = NetworkHookRunnerTests.nic()
        let (host, runner) = try xThenY(nic)
        let withY = host.state
        let calls = try down(runner, "x", nic, host)
        #expect(host.state == withY)
        #expect(calls.contains("# not undone: set_nomaster tap0 (tap0 is another link now, left alone)"), "\(calls)")
        #expect(!calls.contains { $0.hasPrefix("undo: ") }, "\(calls)")
    }

    @Test func routedUndoLeavesTheOtherNICsRuleRouteAndSysctls() throws {
        let host = NetworkHookRunnerTests.node()
        let runner = runner()
        let x = NetworkHookRunnerTests.nic(mode: "routed", link: "100", ip: "192.0.2.5")
        let y = NetworkHookRunnerTests.nic(mode: "routed", link: "100", ip: "192.0.2.6")
        try up(runner, "x", x, host)
        Self.replaceTap(host)
        #expect(host.state.rules.contains { $0.device == "tap0" }, "the kernel keeps a rule when its link goes")
        try up(runner, "y", y, host)
        let withY = host.state
        try down(runner, "x", x, host)
        #expect(host.state == withY)
        #expect(host.state.rules.filter { $0.device == "tap0" && $0.table == 100 }.count == 1)
    }

    @Test func aRuleXLeftOnANameYTookButDoesNotUseGoes() throws {
        // Y is bridged: X's rule would send Y's traffic to table 100. No journal of Y's has it.
        let host = NetworkHookRunnerTests.node()
        let runner = runner()
        let x = NetworkHookRunnerTests.nic(mode: "routed", link: "100", ip: "192.0.2.5")
        try up(runner, "x", x, host)
        Self.replaceTap(host)
        try up(runner, "y", NetworkHookRunnerTests.nic(), host)
        var expected = host.state
        expected.rules.removeAll { $0.device == "tap0" }
        try down(runner, "x", x, host)
        #expect(host.state == expected)
    }

    @Test func aRuleOnANameNoLinkHasIsRemoved() throws {
        let host = NetworkHookRunnerTests.node()
        let before = host.state.rules
        let runner = runner()
        let x = NetworkHookRunnerTests.nic(mode: "routed", link: "100", ip: "192.0.2.5")
        try up(runner, "x", x, host)
        host.removeLink("tap0")
        try down(runner, "x", x, host)
        #expect(host.state.rules == before)
    }

    @Test func aJournalFromAnotherBootChangesNothing() throws {
        // A state directory on disk outlives a reboot; in the new boot tap0 may have the old
        // index again, and is another link all the same.
        let host = NetworkHookRunnerTests.node()
        let runner = runner()
        let nic = NetworkHookRunnerTests.nic()
        try up(runner, "x", nic, host)
        let now = host.state
        host.namespace = "fake-boot-2/1"
        try down(runner, "x", nic, host)
        #expect(host.state == now)
    }

    @Test func aJournalWithoutIdentitiesIsUndoneByNameAsBefore() throws {
        let host = NetworkHookRunnerTests.node()
        let before = host.state
        let runner = runner()
        let nic = NetworkHookRunnerTests.nic()
        try up(runner, "x", nic, host)
        // As a journal of an older taphouse: no namespace, no index, no link entries.
        let path = folder.path + "/state/journal/x/0"
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter {
            !$0.hasPrefix("{\"link\"")
        }.map { line in
            line.replacingOccurrences(of: #","index":\d+"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #","namespace":"[^"]*""#, with: "", options: .regularExpression)
        }
        #expect(!lines.joined().contains("namespace"))
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try down(runner, "x", nic, host)
        #expect(host.state == before)
    }

    @Test func aSiteDownDoesNotSeeATapNameAnotherLinkTook() throws {
        let site = folder.path + "/site"
        folder.write(
            "site/network/bridged.lua",
            """
            local net = require "taphouse.net"
            local base = require "taphouse.builtin.network.bridged"
            return {
              up = base.up,
              down = function(nic)
                if net.link(nic.INTERFACE) then net.set_link(nic.INTERFACE, { up = false, master = false }) end
                for _, rule in ipairs(net.rules()) do
                  if rule.dev == nic.INTERFACE then net.rule_del(rule) end
                end
              end,
            }
            """)
        let host = NetworkHookRunnerTests.node()
        host.state.rules.append(Rule(family: 4, device: "tap0", table: 300))
        let runner = runner(site: site)
        let nic = NetworkHookRunnerTests.nic()
        try up(runner, "x", nic, host)
        Self.replaceTap(host)
        try up(runner, "y", nic, host)
        let withY = host.state
        try down(runner, "x", nic, host)
        #expect(host.state == withY)
        // Y's own down, its tap still there, runs the same code and does change it.
        try down(runner, "y", nic, host)
        #expect(host.state.links["tap0"]?.master == nil)
        #expect(!host.state.rules.contains { $0.device == "tap0" })
    }

    @Test func anUplinkVLANTheDeadNICAddedIsTaphousesForTheNext() throws {
        let host = NetworkHookRunnerTests.node(vlanFiltering: true)
        let uplinkBefore = host.state.vlans["eth1"] ?? []
        let runner = runner()
        let nic = NetworkHookRunnerTests.nic(vlan: "100")
        try up(runner, "x", nic, host)
        #expect(host.state.vlans["eth1"]?.contains { $0.vid == 100 } == true)
        Self.replaceTap(host)
        try up(runner, "y", nic, host)
        let withY = host.state
        try down(runner, "x", nic, host)
        #expect(host.state == withY, "Y's tap still uses VLAN 100: the uplink keeps it")
        host.removeLink("tap0")
        try down(runner, "y", nic, host)
        #expect((host.state.vlans["eth1"] ?? []) == uplinkBefore, "the last NIC that used it took it away")
    }

    @Test func anOVSPortTheOtherNICReAddedStays() throws {
        let host = NetworkHookRunnerTests.node()
        let ovs = FakeOpenVSwitch(bridges: ["ovsbr0"])
        let runner = runner()
        let nic = NetworkHookRunnerTests.nic(mode: "openvswitch", link: "ovsbr0", vlan: "100")
        try runner.up(instance: "x", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
        Self.replaceTap(host)
        #expect(ovs.ports["tap0"] != nil, "a port record outlives its link")
        try runner.up(instance: "y", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
        let (state, ports) = (host.state, ovs.ports)
        try down(runner, "x", nic, host, ovs: ovs)
        #expect(host.state == state && ovs.ports == ports)
        host.removeLink("tap0")
        try down(runner, "y", nic, host, ovs: ovs)
        #expect(ovs.ports.isEmpty)
    }

    @Test func aStaleJournalUndoneByTheNextStartLeavesTheOtherTapAlone() throws {
        // X restarts on another tap while Y has X's old tap name: X's stale journal is undone
        // by the new up, and must not touch Y.
        let nic = NetworkHookRunnerTests.nic()
        let (host, runner) = try xThenY(nic)
        let yTap = host.state.links["tap0"]
        try runner.up(instance: "x", tags: [], nic: nic, index: 0, interface: "tap1", network: host, ovs: nil)
        #expect(host.state.links["tap0"] == yTap)
        #expect(host.state.links["tap1"]?.master == "br0")
    }
}

import Foundation
import HostNet
import Logging
import LuaKit
import QEMU
import TestSupport
import Testing

@testable import Hooks

#if canImport(Glibc)
import Glibc
#endif

/// The runner against the in-memory fake host (the kernel-level tests are in HostNetTests and
/// the integration suite): dispatch, journal, undo, errors.
@Suite("Network hook runner")
struct NetworkHookRunnerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A node with a bridge br0 (MTU 9000) with uplink eth1, and a tap for the NIC.
    static func node(vlanFiltering: Bool = false) -> FakeHost {
        let host = FakeHost()
        host.addLink("br0", kind: "bridge", up: true, mtu: 9000, mac: "52:54:00:00:00:01", vlanFiltering: vlanFiltering)
        host.addLink("eth1", kind: "veth", up: true, mtu: 9000, mac: "52:54:00:00:00:02", master: "br0")
        host.addLink("tap0", kind: "tun", mtu: 1500, mac: "aa:11:22:33:44:55")
        host.addLink("tap1", kind: "tun", mtu: 1500, mac: "aa:11:22:33:44:66")
        for tap in ["tap0", "tap1"] {
            for key in [
                "ipv4/conf/\(tap)/proxy_arp", "ipv4/conf/\(tap)/forwarding", "ipv6/conf/\(tap)/proxy_ndp",
                "ipv6/conf/\(tap)/forwarding",
            ] {
                host.state.sysctls["net/" + key] = "0"
            }
        }
        return host
    }

    static func nic(
        mode: String = "bridged", link: String? = "br0", ip: String? = nil, vlan: String? = nil,
        uuid: String = "003fc157-66a8-4e6d-8b7e-ec4f69751396"
    ) -> NICSpec {
        NICSpec(
            mac: "aa:00:00:12:34:56", ip: ip, uuid: uuid, name: "eth0", mode: mode, link: link, vlan: vlan, network: nil
        )
    }

    let folder = TemporaryFolder()

    func runner(site: String? = nil, limits: LuaLimits = HookSandbox.defaultLimits) -> NetworkHookRunner {
        NetworkHookRunner(
            directories: HookDirectories(
                builtin: Self.repository + "/hooks", site: site, library: Self.repository + "/lua"),
            stateDirectory: folder.path + "/state", limits: limits, logger: Logger(label: "test"))
    }

    @Test func bridgedUpDoesWhatGanetiDoes() throws {
        let host = Self.node()
        let calls = try runner().up(
            instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        // What the runner reports is what the host was asked, in the one notation of host calls.
        #expect(
            host.calls == ["set_mac tap0 fe:11:22:33:44:55", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0"])
        #expect(calls.map(\.description) == host.calls)
        let tap = try #require(host.state.links["tap0"])
        #expect(tap.up && tap.mtu == 9000 && tap.master == "br0" && tap.mac == "fe:11:22:33:44:55")
        let journal = try #require(try Journal.load(path: folder.path + "/state/journal/web1/0"))
        #expect(journal.entries.count == 5)
        guard case .begin(_, let version, _, _, _, _) = journal.entries.first else {
            Issue.record("no begin entry"); return
        }
        #expect(FileManager.default.fileExists(atPath: folder.path + "/state/hook-versions/\(version).lua"))
    }

    @Test func downUndoesTheJournalAndLeavesTheHostAsBefore() throws {
        let host = Self.node()
        let before = host.state
        let runner = runner()
        try runner.up(instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        try runner.down(
            instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/0"))
    }

    @Test func upTwiceIsUpOnce() throws {
        let host = Self.node()
        let before = host.state
        let runner = runner()
        try runner.up(
            instance: "web1", tags: [], nic: Self.nic(mode: "routed", link: "100", ip: "192.0.2.5"), index: 0,
            interface: "tap0", network: host, ovs: nil)
        let once = host.state
        try runner.up(
            instance: "web1", tags: [], nic: Self.nic(mode: "routed", link: "100", ip: "192.0.2.5"), index: 0,
            interface: "tap0", network: host, ovs: nil)
        #expect(host.state == once)
        try runner.down(
            instance: "web1", tags: [], nic: Self.nic(mode: "routed", link: "100", ip: "192.0.2.5"), index: 0,
            interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func routedUpAddsRouteRuleAndProxyAndDownTakesThemAway() throws {
        let host = Self.node()
        let before = host.state
        let runner = runner()
        let nic = Self.nic(mode: "routed", link: "100", ip: "192.0.2.5")
        try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(host.state.routes == [Route(destination: "192.0.2.5/32", device: "tap0", table: 100)])
        #expect(host.state.rules == [Rule(family: 4, device: "tap0", table: 100)])
        #expect(host.state.sysctls["net/ipv4/conf/tap0/proxy_arp"] == "1")
        #expect(host.state.sysctls["net/ipv6/conf/tap0/proxy_ndp"] == "1")
        try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func routedWithoutATableUsesMain() throws {
        let host = Self.node()
        try runner().up(
            instance: "web1", tags: [], nic: Self.nic(mode: "routed", link: nil, ip: "2001:db8::5"), index: 0,
            interface: "tap0", network: host, ovs: nil)
        #expect(host.state.routes == [Route(destination: "2001:db8::5/128", device: "tap0", table: 254)])
        #expect(host.state.rules.isEmpty)
    }

    @Test func aFailingUpIsUndoneAndNamesInstanceNICFileAndLine() throws {
        let host = Self.node(vlanFiltering: false)
        let before = host.state
        let error = #expect(throws: HookError.self) {
            try runner().up(
                instance: "web1", tags: [], nic: Self.nic(vlan: ".100"), index: 2, interface: "tap0", network: host,
                ovs: nil)
        }
        #expect(error?.instance == "web1")
        #expect(error?.nicIndex == 2)
        #expect(error?.hookFile == Self.repository + "/hooks/network/bridged.lua")
        #expect(error?.line != nil)
        #expect(error?.message == "bridge br0 has no vlan_filtering, which VLAN .100 needs")
        #expect(
            error?.description.hasPrefix("instance web1, NIC 2: \(Self.repository)/hooks/network/bridged.lua:") == true)
        #expect(host.state == before)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/2"))
    }

    @Test func bridgedVLANsOnAFilteringBridgeAndSharedUplinkVLANs() throws {
        let host = Self.node(vlanFiltering: true)
        // The admin's.
        host.state.vlans["eth1"] = [BridgeVLAN(vid: 1, pvid: true, untagged: true), BridgeVLAN(vid: 300)]
        let before = host.state
        let runner = runner()
        let first = Self.nic(vlan: ".100:200")
        let second = Self.nic(vlan: ":200", uuid: "11111111-2222-4333-8444-555555555555")
        try runner.up(instance: "a", tags: [], nic: first, index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(
            try host.bridgeVLANs("tap0") == [BridgeVLAN(vid: 100, pvid: true, untagged: true), BridgeVLAN(vid: 200)])
        #expect(
            try host.bridgeVLANs("eth1") == [
                BridgeVLAN(vid: 1, pvid: true, untagged: true), BridgeVLAN(vid: 100), BridgeVLAN(vid: 200),
                BridgeVLAN(vid: 300),
            ])
        try runner.up(instance: "b", tags: [], nic: second, index: 0, interface: "tap1", network: host, ovs: nil)
        // a goes down: 200 stays on the uplink, b's tap still uses it; 100 goes.
        try runner.down(instance: "a", tags: [], nic: first, index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(
            try host.bridgeVLANs("eth1") == [
                BridgeVLAN(vid: 1, pvid: true, untagged: true), BridgeVLAN(vid: 200), BridgeVLAN(vid: 300),
            ])
        try runner.down(instance: "b", tags: [], nic: second, index: 0, interface: "tap1", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func extNeedsASiteHook() throws {
        let host = Self.node()
        let error = #expect(throws: HookError.self) {
            try runner(site: folder.path + "/site").up(
                instance: "web1", tags: [], nic: Self.nic(mode: "ext", link: nil), index: 0, interface: "tap0",
                network: host, ovs: nil)
        }
        #expect(error?.code == .missingHook)
        #expect(
            error?.description
                == "instance web1, NIC 0: mode ext has no built-in hook: put one at \(folder.path)/site/network/ext.lua"
        )
        folder.write(
            "site/network/ext.lua",
            "local net = require 'taphouse.net'\nreturn { up = function(nic) net.set_up(nic.INTERFACE) end }\n")
        try runner(site: folder.path + "/site").up(
            instance: "web1", tags: [], nic: Self.nic(mode: "ext", link: nil), index: 0, interface: "tap0",
            network: host, ovs: nil)
        #expect(host.state.links["tap0"]?.up == true)
    }

    @Test func aBatchedChangeRefusedPartWayIsUndoneWhole() throws {
        // eth1 is no bridge: the MAC and MTU are made before the master is refused.
        folder.write(
            "site/network/bridged.lua",
            """
            local net = require "taphouse.net"
            return {
              up = function(nic)
                net.set_link(nic.INTERFACE, { mac = "fe:00:00:00:00:01", mtu = 1400, up = true, master = "eth1" })
              end,
            }
            """)
        let host = Self.node()
        let before = host.state
        let error = #expect(throws: HookError.self) {
            try runner(site: folder.path + "/site").up(
                instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        }
        #expect(error?.line == 4)
        #expect(error?.message.hasPrefix("taphouse.net.set_link: set_master tap0 eth1: ") == true)
        #expect(host.calls.prefix(3) == ["set_mac tap0 fe:00:00:00:00:01", "set_mtu tap0 1400", "set_up tap0"])
        #expect(host.state == before)
    }

    @Test func setLinkRefusesUnknownFieldsAndWrongTypesNamingThem() throws {
        for (fields, message) in [
            ("{ mtu = \"1400\" }", "field 'mtu' must be an integer, not string"),
            ("{ master = true }", "field 'master' must be a string or false, not boolean"),
            ("{ speed = 10 }", "unknown field 'speed' (set_link takes mac, mtu, up, master)"),
        ] {
            folder.write(
                "site/network/bridged.lua",
                "local net = require \"taphouse.net\"\nreturn { up = function(nic) net.set_link(nic.INTERFACE, \(fields)) end }\n"
            )
            let host = Self.node()
            let error = #expect(throws: HookError.self) {
                try runner(site: folder.path + "/site").up(
                    instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
            }
            #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
            #expect(error?.line == 2)
            #expect(host.calls.isEmpty)
        }
    }

    @Test func aSiteHookCanWrapTheBuiltInOne() throws {
        folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            local sysctl = require "taphouse.sysctl"
            return {
              up = function(nic)
                base.up(nic)
                sysctl.set("net/ipv4/conf/" .. nic.INTERFACE .. "/forwarding", 1)
              end,
            }
            """)
        let host = Self.node()
        let before = host.state
        let runner = runner(site: folder.path + "/site")
        try runner.up(instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(host.state.links["tap0"]?.master == "br0")
        #expect(host.state.sysctls["net/ipv4/conf/tap0/forwarding"] == "1")
        try runner.down(
            instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func downUndoesWhatWasDoneEvenAfterTheHookFileChanged() throws {
        let path = folder.write(
            "site/network/routed.lua",
            """
            local net = require "taphouse.net"
            return { up = function(nic) net.set_up(nic.INTERFACE) net.rule_add { dev = nic.INTERFACE, table = 7 } end }
            """)
        let host = Self.node()
        let before = host.state
        let runner = runner(site: folder.path + "/site")
        let nic = Self.nic(mode: "routed", link: nil, ip: "192.0.2.9")
        try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        try "return { up = function() end, down = function() error('new version must not run') end }".write(
            toFile: path, atomically: true, encoding: .utf8)
        try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(host.state == before)
    }

    @Test func aHooksOwnDownRunsAndAFailingOneStillLeavesTheJournalUndone() throws {
        folder.write(
            "site/network/routed.lua",
            """
            local net = require "taphouse.net"
            local log = require "taphouse.log"
            return {
              up = function(nic) net.set_up(nic.INTERFACE) net.rule_add { dev = nic.INTERFACE, table = 7 } end,
              down = function(nic) error("cleanup script failed") end,
            }
            """)
        let host = Self.node()
        let before = host.state
        let runner = runner(site: folder.path + "/site")
        let nic = Self.nic(mode: "routed", link: nil, ip: "192.0.2.9")
        try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        let error = #expect(throws: HookError.self) {
            try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        }
        #expect(error?.message == "cleanup script failed")
        #expect(error?.line == 5)
        #expect(host.state == before)
    }

    @Test func aRunawayHookIsStoppedAndUndone() throws {
        folder.write(
            "site/network/bridged.lua",
            """
            local net = require "taphouse.net"
            return { up = function(nic) net.set_up(nic.INTERFACE) while true do pcall(error, "x") end end }
            """)
        let host = Self.node()
        let before = host.state
        let error = #expect(throws: HookError.self) {
            try runner(site: folder.path + "/site", limits: LuaLimits(timeout: .milliseconds(100)))
                .up(instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil)
        }
        #expect(error?.message == "time budget of 100 ms exhausted")
        #expect(error?.line == 2)
        #expect(host.state == before)
    }

    @Test func aDryRunChangesNothingAndWritesNoJournal() throws {
        let host = Self.node()
        let before = host.state
        let calls = try runner().up(
            instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: "tap0", network: host, ovs: nil,
            dryRun: true)
        #expect(
            calls.map(\.description) == [
                "set_mac tap0 fe:11:22:33:44:55", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0",
            ])
        #expect(host.state == before)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/0"))
    }

    @Test func openvswitchReplacesAStalePortAndSetsTagAndTrunks() throws {
        let host = Self.node()
        let ovs = FakeOpenVSwitch(bridges: ["ovs0"])
        ovs.ports["tap0"] = OVSPort(name: "tap0", bridge: "ovs0", tag: 5)
        let runner = runner()
        let nic = Self.nic(mode: "openvswitch", link: "ovs0", vlan: ".100:200:300")
        try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
        #expect(
            ovs.calls == ["ovs_del_port tap0", "ovs_add_port ovs0 tap0", "ovs_set_port tap0 tag=100 trunks=[200,300]"])
        #expect(ovs.ports["tap0"] == OVSPort(name: "tap0", bridge: "ovs0", tag: 100, trunks: [200, 300]))
        try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
        // The stale port the hook replaced is back as it was; nothing of this NIC's is left.
        #expect(ovs.ports["tap0"] == OVSPort(name: "tap0", bridge: "ovs0", tag: 5))
    }

    @Test func theNICTableCarriesGanetisEnvironmentTyped() {
        let table = NetworkHookRunner.nicTable(
            instance: "web1", tags: ["a", "b"], nic: Self.nic(ip: "192.0.2.1", vlan: ".100"), index: 3,
            interface: "tap7",
            action: .up, phase: .post)
        #expect(
            table == [
                "INSTANCE": "web1", "MAC": "aa:00:00:12:34:56", "MODE": "bridged", "INTERFACE": "tap7",
                "INTERFACE_INDEX": 3,
                "INTERFACE_UUID": "003fc157-66a8-4e6d-8b7e-ec4f69751396", "INTERFACE_NAME": "eth0", "TAGS": ["a", "b"],
                "ACTION": "up", "IP": "192.0.2.1", "LINK": "br0", "BRIDGE": "br0", "VLAN": ".100",
                "MIGRATION_PHASE": "post",
            ])
    }
}

@Suite("Ganeti scripts from a hook")
struct GanetiScriptTests {
    @Test func aGanetiScriptRunsWithGanetisEnvironment() throws {
        let folder = TemporaryFolder()
        let out = folder.path + "/env.txt"
        let script = folder.write(
            "ganeti/network/bridged/up", "#!/bin/sh\nenv | sort > \(out)\necho \"$1\" >> \(out)\n")
        chmod(script, 0o755)
        folder.write("ganeti/network/bridged/down", "#!/bin/sh\nexit 3\n")
        chmod(folder.path + "/ganeti/network/bridged/down", 0o755)
        folder.write(
            "site/network/bridged.lua",
            "return require('taphouse.ganeti').scripts('\(folder.path)/ganeti/network/bridged')\n")
        let runner = NetworkHookRunner(
            directories: HookDirectories(
                builtin: NetworkHookRunnerTests.repository + "/hooks", site: folder.path + "/site",
                library: NetworkHookRunnerTests.repository + "/lua"),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
        let host = NetworkHookRunnerTests.node()
        var nic = NetworkHookRunnerTests.nic(ip: "192.0.2.4", vlan: ".100")
        nic.network = "net1"
        try runner.up(
            instance: "web1", tags: ["a", "b c"], nic: nic, index: 1, interface: "tap0", network: host, ovs: nil)
        let env = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        for expected in [
            "ACTION=up", "BRIDGE=br0", "INSTANCE=web1", "INTERFACE=tap0", "INTERFACE_INDEX=1",
            "INTERFACE_NAME=eth0", "INTERFACE_UUID=003fc157-66a8-4e6d-8b7e-ec4f69751396", "IP=192.0.2.4", "LINK=br0",
            "MAC=aa:00:00:12:34:56", "MODE=bridged", "NETWORK_NAME=net1", "TAGS=a b c", "VLAN=.100",
        ] {
            #expect(env.contains(expected), "\(expected) missing from \(env)")
        }
        #expect(env.last == "tap0")  // argv: the script gets the tap as $1
        let error = #expect(throws: HookError.self) {
            try runner.down(instance: "web1", tags: [], nic: nic, index: 1, interface: "tap0", network: host, ovs: nil)
        }
        #expect(error?.message.contains("down tap0 exited with status 3") == true)
    }
}

@Suite("taphouse.vlan in Lua")
struct VLANModuleTests {
    @Test func parseReadsGanetisNotationAndRefusesAnythingElse() throws {
        let sandbox = HookSandbox(logger: Logger(label: "test"))
        let state = try sandbox.makeState()
        let chunk = try state.load(
            source: """
                local vlan = require "taphouse.vlan"
                local a, t, h, none = vlan.parse(".100"), vlan.parse(":100:200"), vlan.parse(".100:200:300"), vlan.parse("")
                local ok, err = pcall(vlan.parse, "100:200")
                return a.access, #a.trunks, t.access, t.trunks[2], h.access, h.trunks[1], h.trunks[2], none, ok, err
                """, name: "vlan.lua")
        let values = try state.call(chunk)
        #expect(Array(values.prefix(9)) == [100, 0, .nil, 200, 100, 200, 300, .nil, false])
        #expect(values[9] == "VLAN \"100:200\" is not in the notation .V, :V1:V2 or .V:V2")
    }
}

@Suite("The old kvm-vif-bridge from a hook")
struct GanetiSingleScriptTests {
    @Test func oneScriptServesUpAndDownWithACTION() throws {
        let folder = TemporaryFolder()
        let log = folder.path + "/actions.txt"
        let script = folder.write("kvm-vif-bridge", "#!/bin/sh\necho \"$ACTION $1 $MODE\" >> \(log)\n")
        chmod(script, 0o755)
        folder.write(
            "site/network/bridged.lua", "return require('taphouse.ganeti').script('\(script)', { timeout_ms = 5000 })\n"
        )
        let runner = NetworkHookRunner(
            directories: HookDirectories(
                builtin: NetworkHookRunnerTests.repository + "/hooks", site: folder.path + "/site",
                library: NetworkHookRunnerTests.repository + "/lua"),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
        let host = NetworkHookRunnerTests.node()
        let nic = NetworkHookRunnerTests.nic()
        try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "up tap0 bridged\ndown tap0 bridged\n")
    }
}

import Foundation
import HostNet
import Logging
import LuaKit
import QEMU
import TestSupport
import Testing

@testable import Hooks

/// Ganeti's network object reaches hooks (`nic.NETWORK`, typed) and Ganeti scripts (the
/// `NETWORK_*` variables), and a `nic` key that does not exist is an error naming it.
@Suite("The NIC's network and the strict nic table")
struct NetworkObjectTests {
    let folder = TemporaryFolder()

    static let netinfo = NetworkInfo(
        name: "private-net", uuid: "5b5c6dbd-1a3e-4a2c-8a5e-7e4a1b9f0c11", subnet: "192.0.2.0/24",
        gateway: "192.0.2.1", subnet6: "2001:db8::/64", gateway6: "2001:db8::1", macPrefix: "aa:00:00",
        tags: ["private-filtered", "nfdhcpd"])

    static func nic(netinfo: NetworkInfo? = NetworkObjectTests.netinfo) -> NICSpec {
        NICSpec(
            mac: "aa:00:00:12:34:56", ip: "192.0.2.10", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "ext",
            network: netinfo?.uuid, netinfo: netinfo)
    }

    /// Runs `source` as the site's ext hook's up and returns its error's message.
    func upError(_ source: String, nic: NICSpec = NetworkObjectTests.nic()) throws -> HookError? {
        folder.write("site/network/ext.lua", source)
        let runner = NetworkHookRunner(
            directories: HookDirectories(
                builtin: Repository.path + "/hooks", site: folder.path + "/site", library: Repository.path + "/lua"),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
        let host = FakeHost()
        host.addLink("tap0", kind: "tun")
        do {
            try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: nil)
            return nil
        } catch {
            return error
        }
    }

    @Test func theNetworkReachesTheHookTyped() throws {
        let error = try upError(
            """
            return { up = function(nic)
              local n = nic.NETWORK
              error(table.concat({ n.NAME, n.UUID, #n.TAGS, n.TAGS[1], n.SUBNET, n.GATEWAY, n.SUBNET6, n.GATEWAY6,
                n.MAC_PREFIX, math.type(#n.TAGS) }, "|"), 0)
            end }
            """)
        #expect(
            error?.message
                == "private-net|5b5c6dbd-1a3e-4a2c-8a5e-7e4a1b9f0c11|2|private-filtered|192.0.2.0/24|192.0.2.1|2001:db8::/64|2001:db8::1|aa:00:00|integer"
        )
    }

    @Test func aMisspeltNICKeyIsAnErrorNamingItAndAnUnsetOneIsNil() throws {
        let misspelt = try upError("return { up = function(nic) local b = nic.BRDIGE end }")
        #expect(
            misspelt?.message.hasPrefix("nic has no field 'BRDIGE' (it has ACTION, BRIDGE,") == true,
            "\(String(describing: misspelt))")
        #expect(misspelt?.line == 1)
        let unset = try upError(
            "return { up = function(nic) error(tostring(nic.VLAN) .. tostring(nic.INTERFACE_NAME), 0) end }")
        #expect(unset?.message == "nilnil")
        let nested = try upError("return { up = function(nic) return nic.NETWORK.SUBNET4 end }")
        #expect(
            nested?.message.hasPrefix("nic.NETWORK has no field 'SUBNET4'") == true, "\(String(describing: nested))")
        // pairs over the nic table still walks it, in a fixed order.
        let walked = try upError(
            "return { up = function(nic) local k = {} for key in pairs(nic) do k[#k + 1] = key end error(table.concat(k, ','), 0) end }"
        )
        #expect(
            walked?.message.hasPrefix("ACTION,INSTANCE,INTERFACE,INTERFACE_INDEX,") == true,
            "\(String(describing: walked))")
    }

    @Test func ganetiScriptsGetEveryNetworkVariable() throws {
        let table = NetworkHookRunner.nicTable(
            instance: "web1", tags: ["a", "b"], nic: Self.nic(), index: 0, interface: "tap0", action: .up, phase: nil)
        let environment = GanetiModule.environment(table)
        for variable in [
            "NETWORK_NAME=private-net", "NETWORK_UUID=5b5c6dbd-1a3e-4a2c-8a5e-7e4a1b9f0c11",
            "NETWORK_TAGS=private-filtered nfdhcpd", "NETWORK_SUBNET=192.0.2.0/24", "NETWORK_GATEWAY=192.0.2.1",
            "NETWORK_SUBNET6=2001:db8::/64", "NETWORK_GATEWAY6=2001:db8::1", "NETWORK_MAC_PREFIX=aa:00:00",
        ] {
            #expect(environment.contains(variable), "\(variable) missing from \(environment)")
        }
        // Ganeti leaves unset subnets and gateways out.
        let bare = GanetiModule.environment(
            NetworkHookRunner.nicTable(
                instance: "web1", tags: [], nic: Self.nic(netinfo: NetworkInfo(name: "lan")), index: 0,
                interface: "tap0", action: .up, phase: nil))
        #expect(bare.filter { $0.hasPrefix("NETWORK_") } == ["NETWORK_NAME=lan", "NETWORK_UUID=", "NETWORK_TAGS="])
    }

    @Test func aSpecTakesTheNetworkAsGanetiHandsItToTheNode() throws {
        let spec = """
            {"name": "web1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31", "hvparams": {}, "beparams": {}, "disks": [],
             "nics": [{"mac": "aa:00:00:12:34:56", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751396",
                       "nicparams": {"mode": "bridged", "link": "br0"}, "network": "5b5c6dbd-1a3e-4a2c-8a5e-7e4a1b9f0c11",
                       "netinfo": {"name": "private-net", "uuid": "5b5c6dbd-1a3e-4a2c-8a5e-7e4a1b9f0c11",
                                   "network": "192.0.2.0/24", "gateway": "192.0.2.1", "network6": "2001:db8::/64",
                                   "gateway6": "2001:db8::1", "mac_prefix": "AA:00:00",
                                   "tags": ["private-filtered", "nfdhcpd"], "serial_no": 3, "reservations": "00000",
                                   "ext_reservations": "10000", "ctime": 1.5, "mtime": 2.5}}]}
            """
        let parsed = try InstanceSpec.parse(json: Data(spec.utf8))
        #expect(parsed.nics[0].netinfo == Self.netinfo)
        let bad = spec.replacingOccurrences(of: "\"192.0.2.0/24\"", with: "\"192.0.2.0\"")
        let error = #expect(throws: SpecError.self) { try InstanceSpec.parse(json: Data(bad.utf8)) }
        #expect(error?.field == "nics[0].netinfo.network")
        let unknown = spec.replacingOccurrences(of: "\"serial_no\": 3", with: "\"colour\": 3")
        let refused = #expect(throws: SpecError.self) { try InstanceSpec.parse(json: Data(unknown.utf8)) }
        #expect(refused?.field == "nics[0].netinfo.colour")
    }

    @Test func theNetworkTravelsToAWorkerAndInTheRuntimeFile() throws {
        var setups: [UInt64: HookWorkerSetup] = [:]
        let setup = HookWorkerSetup(
            directories: HookDirectories(builtin: "/b", site: nil, library: "/l"), stateDirectory: "/s")
        let call = NICHookCall(action: .up, instance: "web1", tags: ["t"], nic: Self.nic(), index: 0, interface: "tap0")
        let decoded = try HookWorkerWire.decodeRequest(
            try HookWorkerWire.encode(.nic(setup, call), setupNumber: 1, sendSetup: true), setups: &setups)
        guard case .nic(_, let back) = decoded else {
            Issue.record("not a NIC call")
            return
        }
        #expect(back.nic == call.nic)
        // Every stored field of a NIC travels: a new one must be added to the wire form too.
        #expect(Mirror(reflecting: Self.nic()).children.count == 10)
        let runtime = QemuRuntime(
            argv: ["/usr/bin/qemu-system-x86_64"], nics: [Self.nic()], hvparams: HVParams.defaults, disks: [])
        let loaded = try QemuRuntime.load(runtime.serialized()).runtime
        #expect(loaded.nics[0].netinfo == Self.netinfo)
    }
}

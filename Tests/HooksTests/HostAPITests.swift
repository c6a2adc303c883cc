import Foundation
import HostNet
import Logging
import LuaKit
import QEMU
import TestSupport
import Testing

@testable import Hooks

/// What the ports reached for `exec` to do, through the API and journaled: interface addresses,
/// proxy neighbours, a confined file write and the EUI-64 address; against the fake host (the
/// kernel's side is in the integration suite) and real files in a folder of the test's.
@Suite("Host API: addresses, proxy neighbours, files, EUI-64")
struct HostAPITests {
    let folder = TemporaryFolder()

    func runner(_ source: String, fileDirectories: [String]? = nil) -> NetworkHookRunner {
        folder.write("site/network/ext.lua", source)
        return NetworkHookRunner(
            directories: HookDirectories(
                builtin: Repository.path + "/hooks", site: folder.path + "/site", library: Repository.path + "/lua",
                files: fileDirectories ?? [folder.path + "/peers"]),
            stateDirectory: folder.path + "/state", logger: Logger(label: "test"))
    }

    static func host() -> FakeHost {
        let host = FakeHost()
        host.addLink("tap0", kind: "tun")
        host.addLink("eth0", kind: "veth", up: true)
        return host
    }

    static let nic = NICSpec(
        mac: "52:54:00:12:34:56", ip: "192.0.2.10", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "ext")

    @discardableResult
    func up(_ runner: NetworkHookRunner, _ host: FakeHost) throws(HookError) -> [HookCallLine] {
        try runner.up(instance: "web1", tags: [], nic: Self.nic, index: 0, interface: "tap0", network: host, ovs: nil)
    }

    @discardableResult
    func down(_ runner: NetworkHookRunner, _ host: FakeHost) throws(HookError) -> [HookCallLine] {
        try runner.down(instance: "web1", tags: [], nic: Self.nic, index: 0, interface: "tap0", network: host, ovs: nil)
    }

    /// What GRNET's routed script does by hand: the gateway's address on the tap, proxy entries
    /// for the guest's IPv4 and EUI-64 IPv6 addresses, a peer file for a daemon.
    static let routed = """
        local net = require "taphouse.net"
        local file = require "taphouse.file"
        return { up = function(nic)
          net.set_up(nic.INTERFACE)
          net.address_replace { address = "192.0.2.1/24", dev = nic.INTERFACE }
          net.address_replace { address = "2001:DB8:0:0::1/64", dev = nic.INTERFACE }
          local v6 = net.eui64(nic.MAC, "2001:db8::/64")
          net.neigh_add { proxy = nic.IP, dev = nic.INTERFACE }
          net.neigh_add { proxy = v6, dev = nic.INTERFACE }
          net.route_replace { dst = v6, dev = nic.INTERFACE }
          file.write(PEERS .. "/" .. nic.INTERFACE .. ".conf", "neighbor " .. v6 .. ";\\n", "0640")
          if FAIL then error("announce failed") end
        end }
        """

    func routedRunner(failing: Bool = false) -> NetworkHookRunner {
        runner(
            "PEERS = '\(folder.path)/peers'\nFAIL = \(failing)\n" + Self.routed)
    }

    @Test func upAddsAddressesNeighboursAndAFileAndDownTakesThemAway() throws {
        folder.write("peers/.keep", "")
        let host = Self.host()
        let before = host.state
        let runner = routedRunner()
        let calls = try up(runner, host).map(\.description)
        let peer = folder.path + "/peers/tap0.conf"
        // The spellings a hook wrote come back as the kernel writes them.
        #expect(
            calls == [
                "set_up tap0", "address_replace 192.0.2.1/24 dev tap0", "address_replace 2001:db8::1/64 dev tap0",
                "neigh_add proxy 192.0.2.10 dev tap0", "neigh_add proxy 2001:db8::5054:ff:fe12:3456 dev tap0",
                "route_replace 2001:db8::5054:ff:fe12:3456/128 dev tap0 table 254 proto 4",
                "file_write \(peer) 0640",
            ])
        #expect(
            try host.addresses(of: "tap0").map(\.address).sorted() == ["192.0.2.1/24", "2001:db8::1/64"])
        #expect(try host.proxyNeighbours().count == 2)
        #expect(try String(contentsOfFile: peer, encoding: .utf8) == "neighbor 2001:db8::5054:ff:fe12:3456;\n")
        let mode = try FileManager.default.attributesOfItem(atPath: peer)[.posixPermissions] as? Int
        #expect(mode == 0o640)

        // Up again (a start after a crash): one of everything.
        try up(runner, host)
        #expect(try host.addresses(of: "tap0").count == 2)

        let undo = try down(runner, host).map(\.description)
        #expect(undo.first == "file_remove \(peer)  # undo")
        #expect(undo.contains("neigh_del proxy 2001:db8::5054:ff:fe12:3456 dev tap0  # undo"))
        #expect(undo.contains("address_del 2001:db8::1/64 dev tap0  # undo"))
        #expect(host.state == before)
        #expect(!FileManager.default.fileExists(atPath: peer))
    }

    @Test func aFailingUpUndoesAddressesNeighboursAndTheFile() throws {
        folder.write("peers/tap0.conf", "what the admin had\n")
        let host = Self.host()
        let before = host.state
        let error = #expect(throws: HookError.self) { try up(routedRunner(failing: true), host) }
        #expect(error?.message == "announce failed")
        #expect(host.state == before)
        #expect(
            try String(contentsOfFile: folder.path + "/peers/tap0.conf", encoding: .utf8) == "what the admin had\n")
    }

    @Test func aFileWriteIsConfinedToTheNodesFolders() throws {
        folder.write("peers/.keep", "")
        folder.write("elsewhere/.keep", "")
        try FileManager.default.createSymbolicLink(
            atPath: folder.path + "/peers/link.conf", withDestinationPath: folder.path + "/elsewhere/x")
        try FileManager.default.createSymbolicLink(
            atPath: folder.path + "/peers/sub", withDestinationPath: folder.path + "/elsewhere")
        for (path, reason) in [
            ("/etc/passwd", "is not under a folder the node allows"),
            ("\(folder.path)/peers/../elsewhere/x", "is not an absolute path without ., .. or //"),
            ("\(folder.path)/peers/link.conf", "exists and is not a regular file"),
            ("\(folder.path)/peers/sub/x", "is not under a folder the node allows"),
            ("peers/x", "is not an absolute path"),
        ] {
            let host = Self.host()
            let error = #expect(throws: HookError.self) {
                try up(
                    runner(
                        "local file = require 'taphouse.file'\nreturn { up = function() file.write('\(path)', 'x') end }"
                    ),
                    host)
            }
            #expect(error?.message.contains(reason) == true, "\(path): \(String(describing: error))")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/elsewhere/x"))
        let none = #expect(throws: HookError.self) {
            try up(
                runner(
                    "local file = require 'taphouse.file'\nreturn { up = function() file.write('\(folder.path)/peers/x', 'x') end }",
                    fileDirectories: []), Self.host())
        }
        #expect(none?.message.contains("the node allows hooks no file writes") == true)
    }

    /// A daemon reads the file: its reload runs after the write, and after undo removed the
    /// file, not before (an exec with an undo would run its undo while the file is still there).
    @Test func aReloadRunsAfterTheWriteAndAfterTheUndo() throws {
        folder.write("peers/.keep", "")
        let peer = folder.path + "/peers/tap0.conf"
        let runner = runner(
            """
            local file = require "taphouse.file"
            return { up = function(nic)
              file.write("\(peer)", "protocol bgp vm_tap0 from vm;\\n", "0644",
                         { reload = { "/usr/sbin/birdc", "configure" }, timeout_ms = 10000 })
            end }
            """)
        var seen: [String] = []
        runner.executor = { request in
            seen.append(
                "\(request.argv.joined(separator: " ")) with the file \(FileManager.default.fileExists(atPath: peer) ? "there" : "gone")"
            )
            return CommandRunner.Output(status: 0, standardOutput: "", standardError: "")
        }
        let host = Self.host()
        let calls = try up(runner, host).map(\.description)
        #expect(calls == ["file_write \(peer) 0644", "exec /usr/sbin/birdc configure"])
        let undo = try down(runner, host).map(\.description)
        #expect(undo == ["file_remove \(peer)  # undo", "exec /usr/sbin/birdc configure  # undo"])
        #expect(
            seen == ["/usr/sbin/birdc configure with the file there", "/usr/sbin/birdc configure with the file gone"])

        // A reload that fails fails the up, and the undo removes the file and reloads again.
        seen = []
        runner.executor = { request in
            seen.append(FileManager.default.fileExists(atPath: peer) ? "there" : "gone")
            return CommandRunner.Output(
                status: seen.count == 1 ? 1 : 0, standardOutput: "", standardError: "syntax error, line 1")
        }
        let error = #expect(throws: HookError.self) { try up(runner, host) }
        #expect(
            error?.message.contains(
                "exec /usr/sbin/birdc configure: the reload after file_write \(peer) 0644 exited with status 1: syntax error, line 1"
            ) == true, "\(String(describing: error))")
        #expect(seen == ["there", "gone"])
        #expect(!FileManager.default.fileExists(atPath: peer))
    }

    @Test func deletingAPrimaryAddressJournalsTheSecondariesTheKernelTakesWithIt() throws {
        let host = Self.host()
        for address in ["10.1.0.1/24", "10.1.0.2/24", "10.1.0.3/24"] {
            try host.addAddress(InterfaceAddress(address: address, device: "eth0"))
        }
        let before = host.state
        let runner = runner(
            """
            local net = require "taphouse.net"
            return { up = function(nic) net.address_del { address = "10.1.0.1/24", dev = "eth0" } end }
            """)
        try up(runner, host)
        #expect(try host.addresses(of: "eth0").isEmpty)
        try down(runner, host)
        #expect(Set(try host.addresses(of: "eth0")) == Set(before.addresses))
    }

    @Test func badAddressesAndFieldsAreRefusedNamingThem() throws {
        for (call, message) in [
            (
                "net.address_add { address = '192.0.2.300/24', dev = 'tap0' }",
                "field 'address': 192.0.2.300/24 is not an IP address or prefix"
            ),
            (
                "net.address_add { address = '192.0.2.1/24', device = 'tap0' }",
                "unknown field 'device' (taphouse.net.address_add takes address, dev)"
            ),
            (
                "net.neigh_add { proxy = '2001:db8::/64', dev = 'tap0' }",
                "field 'proxy': 2001:db8::/64 is a prefix; a proxy entry is one address"
            ),
            (
                "net.route_replace { dst = 'gateway', dev = 'tap0' }",
                "field 'dst': gateway is not an IP address or prefix"
            ),
            (
                "net.rule_add { dev = 'tap0', tabel = 100 }",
                "unknown field 'tabel' (taphouse.net.rule_add takes family, dev, table, priority)"
            ),
            ("net.eui64('52:54:00:12:34', '2001:db8::/64')", "52:54:00:12:34 is not a MAC address (six hex pairs)"),
            ("net.eui64('52:54:00:12:34:56', '2001:db8::/96')", "2001:db8::/96 is longer than /64"),
            (
                "net.address_del { address = '192.0.2.1/24', dev = 'tap0' }",
                "address_del 192.0.2.1/24 dev tap0: no such address"
            ),
        ] {
            let host = Self.host()
            let error = #expect(throws: HookError.self) {
                try up(runner("local net = require 'taphouse.net'\nreturn { up = function() \(call) end }"), host)
            }
            #expect(error?.message.contains(message) == true, "\(call): \(String(describing: error))")
            #expect(error?.line == 2)
        }
    }

    @Test func eui64IsTheAddressSLAACForms() throws {
        // RFC 4291 appendix A's method; the values as `ipv6calc` and the kernel give them.
        #expect(try EUI64.address(mac: "52:54:00:12:34:56", prefix: "2001:db8::/64") == "2001:db8::5054:ff:fe12:3456")
        #expect(
            try EUI64.address(mac: "00:1A:2B:3C:4D:5E", prefix: "fd00:1:2:3::/64") == "fd00:1:2:3:21a:2bff:fe3c:4d5e")
        #expect(try EUI64.address(mac: "02:00:00:00:00:01", prefix: "2001:db8:ffff::/48") == "2001:db8:ffff::ff:fe00:1")
    }

    @Test func aDryRunMarksWhatIsNeverUndoneAndShowsWhatDownsUndoWouldCall() throws {
        let host = Self.host()
        let runner = runner(
            """
            local net = require "taphouse.net"
            local exec = require "taphouse.exec"
            return { up = function(nic)
              net.set_mtu(nic.INTERFACE, 9000)
              exec.run { "/bin/true", "announce" }
              exec.run({ "/bin/true", "add" }, { undo = { "/bin/true", "remove" } })
            end }
            """)
        let preview = try runner.up(
            instance: "web1", tags: [], nic: Self.nic, index: 0, interface: "tap0", network: host, ovs: nil,
            dryRun: true)
        #expect(
            preview.map(\.description) == [
                "set_mtu tap0 9000", "exec /bin/true announce  # never undone", "exec /bin/true add",
            ])
        #expect(
            preview.map(\.specLine) == [
                #""set_mtu tap0 9000","#, #""exec /bin/true announce", -- never undone"#, #""exec /bin/true add","#,
            ])
        try up(runner, host)
        let down = try runner.down(
            instance: "web1", tags: [], nic: Self.nic, index: 0, interface: "tap0", network: host, ovs: nil,
            dryRun: true)
        #expect(
            down.map(\.description) == [
                "exec /bin/true remove  # undo", "# not undone: exec /bin/true announce (recorded, never undone)",
                "set_mtu tap0 1500  # undo",
            ])
        #expect(
            down.map(\.specLine) == [
                #""exec /bin/true remove", -- undo"#, "-- not undone: exec /bin/true announce (recorded, never undone)",
                #""set_mtu tap0 1500", -- undo"#,
            ])
    }
}

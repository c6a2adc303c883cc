import Foundation
import HostNet
import TestSupport
import Testing

/// `taphouse instance nic-add` / `nic-remove` on a real guest: a NIC hot-added on a second bridge
/// answers ping through it (the guest configures the NIC with its MAC as it appears), a reboot
/// keeps it, its removal leaves nothing of it; an add that fails at any step (its hook half way,
/// a fault injected after each step) leaves the node and the runtime as they were.
@Suite(
    "Hot-plug of NICs and disks",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
struct HotplugTests {
    typealias Node = InstanceLifecycleTests.Node

    static let hotMAC = "52:54:00:12:35:01"
    static let hotNIC = #"{"mac": "\#(hotMAC)", "nicparams": {"mode": "bridged", "link": "br1"}}"#

    /// A node with a second bridge, br1 (10.99.1.1/24, with an uplink so that it keeps its
    /// carrier), and a guest on br0 that configures 10.99.1.2 on the NIC with ``hotMAC``
    /// whenever it appears.
    static func running(_ name: String) throws -> (node: Node, before: [String], running: [String]) {
        let node = try Node()
        try node.ns.ip(["link", "add", "br1", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        try node.ns.ip(["addr", "add", "10.99.1.1/24", "dev", "br1"])
        try node.ns.ip(["link", "add", "up2", "type", "veth", "peer", "name", "up3"])
        try node.ns.ip(["link", "set", "up2", "master", "br1", "up"])
        try node.ns.ip(["link", "set", "up3", "up"])
        try node.ns.ip(["link", "set", "br1", "up"])
        for _ in 0..<250 where try node.ns.ip(["-o", "link", "show", "br1"]).contains("NO-CARRIER") {
            usleep(20_000)
        }
        let before = try node.snapshot()
        let spec = try node.spec(
            name: name, nics: [("bridged", "br0", nil)],
            extra: ["kernel_args": "guest.ip=10.99.0.2/24 guest.gw=10.99.0.1 guest.hotplug=\(hotMAC),10.99.1.2/24"],
            guestIP: "10.99.0.2/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        try #require(start.status == 0, "\(start.error)")
        try #require(try node.pings("10.99.0.2"))
        return (node, before, try node.snapshot())
    }

    /// The taps of the namespace (tun links), by name.
    static func taps(_ node: Node) throws -> [String] {
        try node.ns.ip(["-o", "link", "show", "type", "tun"]).split(separator: "\n").compactMap {
            $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces)
        }.map { String($0.split(separator: "@")[0]) }
    }

    /// The MACs of the instance's NICs, as its runtime has them.
    static func macs(_ node: Node, _ name: String) throws -> [String] {
        let info = try node.taphouse(["instance", "info", name, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any]
        return ((object?["nics"] as? [[String: Any]]) ?? []).map { $0["mac"] as? String ?? "-" }
    }

    static func nicCount(_ node: Node, _ name: String) throws -> Int { try macs(node, name).count }

    @Test func aHotAddedNICAnswersOutlivesARebootAndItsRemovalLeavesNothing() throws {
        let (node, before, _) = try Self.running("hot1")
        #expect(try node.ns.ip(["-o", "link", "show", "master", "br1"]).split(separator: "\n").count == 1)

        let add = try node.taphouse(["instance", "nic-add", "hot1", "--nic", Self.hotNIC])
        #expect(add.status == 0, "\(add.error)")
        #expect(add.output.hasPrefix("added NIC 1 (tap"), "\(add.output)")
        #expect(try node.ns.ip(["-o", "link", "show", "master", "br1"]).contains(": tap"))
        // 10.99.1.0/24 is br1's: the answer comes through the hot-added NIC.
        #expect(try node.pings("10.99.1.2"))
        #expect(try Self.macs(node, "hot1") == ["52:54:00:12:34:50", Self.hotMAC])
        #expect(FileManager.default.fileExists(atPath: node.state + "/nic/hot1/1"))

        // A reboot starts it again from the runtime, the hot-added NIC with it.
        let reboot = try node.taphouse(["instance", "reboot", "hot1", "--timeout", "2"])
        #expect(reboot.status == 0, "\(reboot.error)")
        #expect(try node.pings("10.99.1.2"))
        #expect(try Self.taps(node).count == 2)

        let remove = try node.taphouse(["instance", "nic-remove", "hot1", "--index", "1"])
        #expect(remove.status == 0, "\(remove.error)")
        #expect(!(try node.ns.ip(["-o", "link", "show", "master", "br1"]).contains(": tap")))
        #expect(try Self.taps(node).count == 1)
        #expect(!FileManager.default.fileExists(atPath: node.state + "/nic/hot1/1"))
        #expect(!FileManager.default.fileExists(atPath: node.state + "/journal/hot1/1"))
        #expect(try Self.macs(node, "hot1") == ["52:54:00:12:34:50"])
        #expect(!(try node.pings("10.99.1.2", within: 3)))
        #expect(try node.pings("10.99.0.2"))

        let stop = try node.taphouse(["instance", "stop", "hot1", "--timeout", "2"])
        #expect(stop.status == 0, "\(stop.error)")
        try node.expectUnchanged(since: before)
    }

    @Test func refusalsNameTheFieldAndChangeNothing() throws {
        let (node, _, running) = try Self.running("hot2")
        let runtime = try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot2.runtime"))
        let cases: [(arguments: [String], error: String)] = [
            (["nic-add", "hot2", "--nic", #"{"nicparams": {"mode": "bridged", "link": "br1"}}"#], "nic.mac"),
            (["nic-add", "hot2", "--nic", #"{"mac": "52:54:00:12:34:50", "nicparams": {"link": "br1"}}"#], "NIC 0"),
            (
                ["nic-add", "hot2", "--nic", #"{"mac": "52:54:00:12:35:09", "nicparams": {"mode": "routed"}}"#],
                "nic.ip"
            ),
            (["nic-add", "nosuch", "--nic", Self.hotNIC], "no such instance"),
            (["nic-remove", "hot2", "--index", "1"], "has no NIC 1"),
            (["nic-remove", "nosuch", "--index", "0"], "no such instance"),
        ]
        for (arguments, error) in cases {
            let result = try node.taphouse(["instance"] + arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.error.contains(error), "\(arguments): \(result.error)")
        }
        try node.expectUnchanged(since: running)
        #expect(try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot2.runtime")) == runtime)
        #expect(try node.taphouse(["instance", "stop", "hot2", "--force"]).status == 0)
    }

    @Test func anAddThatFailsAtAnyStepIsUndone() throws {
        let (node, before, running) = try Self.running("hot3")
        let runtime = try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot3.runtime"))
        // A site hook that fails half way: the built-in's changes made, then an error.
        node.folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            return { up = function(nic)
              base.up(nic)
              if nic.LINK == "br1" then error("br1 is full") end
            end, down = base.down }
            """)
        let failed = try node.taphouse(["instance", "nic-add", "hot3", "--nic", Self.hotNIC])
        #expect(failed.status == 1)
        #expect(failed.error.contains("nic-add hot3: NIC 1 up hook"), "\(failed.error)")
        #expect(failed.error.contains("network/bridged.lua:4: br1 is full"), "\(failed.error)")
        try node.expectUnchanged(since: running)
        #expect(try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot3.runtime")) == runtime)
        try FileManager.default.removeItem(atPath: node.site + "/network/bridged.lua")

        // A fault after each step: what the steps before it did is undone, qemu included.
        for point in ["tap", "up", "backend", "device", "saved"] {
            let result = try node.taphouse(
                ["instance", "nic-add", "hot3", "--nic", Self.hotNIC],
                environment: ["TAPHOUSE_FAULT": "nic-add.\(point):fail"])
            #expect(result.status == 1, "\(point)")
            #expect(result.error.contains("a fault injected at nic-add.\(point)"), "\(point): \(result.error)")
            try node.expectUnchanged(since: running)
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot3.runtime")) == runtime, "\(point)")
        }
        // qemu has no device or netdev left over: the same NIC goes in on its slot and answers.
        let add = try node.taphouse(["instance", "nic-add", "hot3", "--nic", Self.hotNIC])
        #expect(add.status == 0, "\(add.error)")
        #expect(try node.pings("10.99.1.2"))

        // A removal cut short once the guest let the device go (the runtime still lists it) is
        // finished by the next one.
        let cut = try node.taphouse(
            ["instance", "nic-remove", "hot3", "--index", "1"],
            environment: ["TAPHOUSE_FAULT": "nic-remove.backend:fail"])
        #expect(cut.status == 1, "\(cut.error)")
        #expect(try Self.nicCount(node, "hot3") == 2)
        let again = try node.taphouse(["instance", "nic-remove", "hot3", "--index", "1"])
        #expect(again.status == 0, "\(again.error)")
        try node.expectUnchanged(since: running)

        #expect(try node.taphouse(["instance", "stop", "hot3", "--force"]).status == 0)
        try node.expectUnchanged(since: before)
    }

    /// What the guest's web server answers at `path`, asked from the node's namespace.
    static func guestGets(_ node: Node, _ path: String) throws -> String {
        let result = try BlockingCommand.run(
            [
                "/usr/sbin/ip", "netns", "exec", node.ns.name, "/usr/bin/curl", "-sS", "-m", "5",
                "http://10.99.0.2" + path,
            ],
            timeout: .seconds(15))
        return result.status == 0
            ? result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            : "curl failed: \(result.standardError)"
    }

    static func diskCount(_ node: Node, _ name: String) throws -> Int {
        let info = try node.taphouse(["instance", "info", name, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any]
        return (object?["disks"] as? [Any])?.count ?? -1
    }

    @Test func aHotAddedDiskIsReadAndWrittenByTheGuestAndItsRemovalLeavesNothing() throws {
        let (node, before, running) = try Self.running("hot4")
        let image = node.folder.path + "/disk1.raw"
        var sector = Data("from-the-node\n".utf8)
        sector.append(Data(count: (1 << 20) - sector.count))
        #expect(FileManager.default.createFile(atPath: image, contents: sector))
        let disk = #"{"uuid": "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b", "path": "\#(image)", "dev_type": "file"}"#
        let runtime = try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot4.runtime"))
        #expect(try Self.guestGets(node, "/cgi-bin/disk") == "no /dev/vda")

        // Refused, and nothing changes: a path that is not there; a fault after each step.
        let missing = try node.taphouse([
            "instance", "disk-add", "hot4", "--disk", disk.replacingOccurrences(of: image, with: image + ".absent"),
        ])
        #expect(missing.status == 1)
        #expect(missing.error.contains("disk.path"), "\(missing.error)")
        for point in ["fd", "backend", "device", "saved"] {
            let result = try node.taphouse(
                ["instance", "disk-add", "hot4", "--disk", disk],
                environment: ["TAPHOUSE_FAULT": "disk-add.\(point):fail"])
            #expect(result.status == 1, "\(point)")
            #expect(result.error.contains("a fault injected at disk-add.\(point)"), "\(point): \(result.error)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot4.runtime")) == runtime, "\(point)")
            #expect(try Self.diskCount(node, "hot4") == 0)
        }
        try node.expectUnchanged(since: running)

        let add = try node.taphouse(["instance", "disk-add", "hot4", "--disk", disk])
        #expect(add.status == 0, "\(add.error)")
        #expect(add.output == "added disk 0 to hot4\n", "\(add.output)")
        #expect(try Self.diskCount(node, "hot4") == 1)
        // The guest sees it as its first virtio disk, reads what the node wrote, and writes.
        var answer = ""
        for _ in 0..<50 {
            answer = try Self.guestGets(node, "/cgi-bin/disk")
            if answer != "no /dev/vda" { break }
            usleep(200_000)
        }
        #expect(answer == "from-the-node", "\(answer)")
        #expect(try Self.guestGets(node, "/cgi-bin/disk?write=from-the-guest") == "written")
        let written = try Data(contentsOf: URL(fileURLWithPath: image)).prefix(15)
        #expect(String(decoding: written, as: UTF8.self) == "from-the-guest\n")

        let remove = try node.taphouse(["instance", "disk-remove", "hot4", "--index", "0"])
        #expect(remove.status == 0, "\(remove.error)")
        #expect(try Self.diskCount(node, "hot4") == 0)
        #expect(try Self.guestGets(node, "/cgi-bin/disk") == "no /dev/vda")
        #expect(try Data(contentsOf: URL(fileURLWithPath: node.state + "/conf/hot4.runtime")) == runtime)
        try node.expectUnchanged(since: running)
        #expect(try node.taphouse(["instance", "stop", "hot4", "--force"]).status == 0)
        try node.expectUnchanged(since: before)
    }

    /// Through the daemon's API, as documented: 201 with the NIC or disk as placed, 400 naming
    /// what does not read, 404 for no such instance; a paused guest cannot let a device go, so
    /// its removal times out (504) and the device stays, listed; a stop then takes it all away.
    @Test func throughTheAPIAsDocumented() throws {
        let node = try Node()
        let before = try node.snapshot()
        let daemon = try DaemonTests.Daemon(node)
        let spec = try node.spec(
            name: "hot5", nics: [("bridged", "br0", nil)], extra: ["kernel_args": "guest.shell=1"], guestIP: "",
            gateway: "")
        let started = try daemon.curl(
            ["/v1/instances?paused=true"], method: "POST", body: try String(contentsOfFile: spec, encoding: .utf8))
        #expect(started.status == 201, "\(started.body)")

        let added = try daemon.curl(
            ["/v1/instances/hot5/nics?reason=more-room"], method: "POST",
            body: #"{"mac": "52:54:00:12:35:05", "nicparams": {"mode": "bridged", "link": "br0"}}"#)
        #expect(added.status == 201, "\(added.body)")
        #expect(added.object["index"] as? Int == 1)
        let placed = added.object["nic"] as? [String: Any]
        #expect((placed?["hvinfo"] as? [String: Any])?["bus"] as? String == "pci.0", "\(added.body)")
        #expect((placed?["uuid"] as? String)?.count == 36, "a uuid is made: \(added.body)")
        let tap = try #require(added.object["interface"] as? String)
        #expect(try node.ns.ip(["-o", "link", "show", "master", "br0"]).contains(": \(tap)"))

        let bad = try daemon.curl(["/v1/instances/hot5/nics"], method: "POST", body: #"{"mac": "nonsense"}"#)
        #expect(bad.status == 400)
        #expect(bad.object["code"] as? String == "invalid-spec")
        #expect((bad.object["detail"] as? String)?.contains("nic.mac") == true, "\(bad.body)")
        #expect(try daemon.curl(["/v1/instances/nosuch/nics"], method: "POST", body: Self.hotNIC).status == 404)
        let noNIC = try daemon.curl(["/v1/instances/hot5/nics/5"], method: "DELETE")
        #expect(noNIC.status == 400)
        #expect((noNIC.object["detail"] as? String)?.contains("no NIC 5") == true, "\(noNIC.body)")
        #expect(try daemon.curl(["/v1/instances/hot5/nics/first"], method: "DELETE").status == 400)
        #expect(try daemon.curl(["/v1/instances/hot5/nics/1?timeout=-1"], method: "DELETE").status == 400)

        let image = node.folder.path + "/disk2.raw"
        #expect(FileManager.default.createFile(atPath: image, contents: Data(count: 1 << 20)))
        let disk = try daemon.curl(
            ["/v1/instances/hot5/disks"], method: "POST",
            body: #"{"uuid": "8b2d3f4a-5c6e-4f70-9b1c-2d3e4f5a6b7c", "path": "\#(image)", "dev_type": "file"}"#)
        #expect(disk.status == 201, "\(disk.body)")
        #expect((disk.object["disk"] as? [String: Any])?["path"] as? String == image)
        let info = try daemon.curl(["/v1/instances/hot5"]).object
        #expect((info["nics"] as? [Any])?.count == 2)
        #expect((info["disks"] as? [[String: Any]])?.first?["path"] as? String == image, "\(info)")

        // The paused guest does not let them go: 504, and both stay.
        let kept = try daemon.curl(["/v1/instances/hot5/nics/1?timeout=1"], method: "DELETE")
        #expect(kept.status == 504, "\(kept.body)")
        #expect(kept.object["code"] as? String == "timeout")
        #expect(try daemon.curl(["/v1/instances/hot5/disks/0?timeout=1"], method: "DELETE").status == 504)
        let still = try daemon.curl(["/v1/instances/hot5"]).object
        #expect((still["nics"] as? [Any])?.count == 2)
        #expect((still["disks"] as? [Any])?.count == 1)

        #expect(try daemon.curl(["/v1/instances/hot5/stop"], method: "POST", body: #"{"force": true}"#).status == 200)
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
        try node.expectUnchanged(since: before)
    }
}

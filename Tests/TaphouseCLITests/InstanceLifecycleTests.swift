import Foundation
import HostNet
import TestSupport
import Testing

/// `taphouse instance ...` end to end: a real guest (the test guest, under TCG where KVM cannot
/// run Linux) on a bridge and on a route in a namespace the test makes, answering ping; stop
/// leaving nothing; rollback of starts that fail in qemu, in a hook, and after two of three NICs;
/// recovery after qemu is killed. Addresses are 10.99.x.x, inside the namespace only.
@Suite(
    "Instances end to end",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
struct InstanceLifecycleTests {
    /// A node: a namespace with bridge br0 (10.99.0.1/24), a state folder and an empty site
    /// hooks folder, and taphouse run inside the namespace.
    final class Node: @unchecked Sendable {
        let ns: NetworkNamespace
        let folder = TemporaryFolder()
        var state: String { folder.path + "/state" }
        var site: String { folder.path + "/site" }

        /// - Parameter bridgeAddress: br0's address (none for a node whose guests' segment
        ///   has its router elsewhere).
        init(bridgeAddress: String? = "10.99.0.1/24") throws {
            ns = try NetworkNamespace()
            try ns.ip(["link", "set", "lo", "up"])
            try ns.ip(["link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
            if let bridgeAddress { try ns.ip(["addr", "add", bridgeAddress, "dev", "br0"]) }
            // An uplink, as a node's bridge has: the bridge keeps its carrier (and its routes)
            // when the guest's tap leaves, so before and after compare.
            try ns.ip(["link", "add", "up0", "type", "veth", "peer", "name", "up1"])
            try ns.ip(["link", "set", "up0", "master", "br0", "up"])
            try ns.ip(["link", "set", "up1", "up"])
            try ns.ip(["link", "set", "br0", "up"])
            try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
            // The veth's carrier comes up a moment later; the snapshots start after it.
            for _ in 0..<250 where try ns.ip(["-o", "link", "show", "br0"]).contains("NO-CARRIER") {
                usleep(20_000)
            }
        }

        deinit {
            // Whatever a failed test left running in the namespace goes before the namespace.
            if let pids = try? TaphouseBinary.run(["netns", "pids", ns.name], executable: "/usr/sbin/ip") {
                for pid in pids.output.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
            }
        }

        func taphouse(
            _ arguments: [String], uidPool: String? = nil, environment: [String: String] = [:]
        ) throws -> TaphouseBinary.Result {
            try TaphouseBinary.run(
                ["netns", "exec", ns.name, TaphouseBinary.path] + arguments
                    + ["--state-dir", state, "--hooks-dir", site] + (uidPool.map { ["--uid-pool", $0] } ?? []),
                in: folder.path, environment: environment, executable: "/usr/sbin/ip")
        }

        /// Kills the instance's qemu with SIGKILL (a crash), as no stop would, and waits until
        /// the kernel has taken its taps away with its fds.
        func killQemu(_ name: String) throws {
            let text = try String(contentsOfFile: state + "/pid/\(name)", encoding: .utf8)
            let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), "pid file: \(text)")
            kill(pid, SIGKILL)
            while kill(pid, 0) == 0 { usleep(20_000) }
            for _ in 0..<250 where try ns.ip(["-o", "link", "show", "type", "tun"]).contains("tap") {
                usleep(20_000)
            }
        }

        /// The guest answers ping from the namespace within `seconds`.
        func pings(_ address: String, within seconds: Int = 90) throws -> Bool {
            try Self.pings(address, from: ns.name, within: seconds)
        }

        /// The guest answers ping from namespace `namespace` within `seconds`.
        static func pings(_ address: String, from namespace: String, within seconds: Int) throws -> Bool {
            let deadline = Date().addingTimeInterval(TimeInterval(seconds))
            while Date() < deadline {
                // BlockingCommand, not Process: busybox ping times out with SIGALRM, which the test
                // runner's threads block and a Process child inherits blocked (it then waits forever
                // for a guest still booting); BlockingCommand gives the child a clean signal mask.
                let result = try BlockingCommand.run(
                    [
                        "/usr/sbin/ip", "netns", "exec", namespace, TestGuest.busybox, "ping", "-c", "1", "-W", "1",
                        address,
                    ],
                    timeout: .seconds(5))
                if result.status == 0 { return true }
            }
            return false
        }

        /// What of the node a start or stop may leave behind: links, addresses, routes, rules, and
        /// the state files (lock files, the hook text cache and the qemu probe cache stay on purpose).
        func snapshot() throws -> [String] {
            var lines: [String] = []
            for command in [
                ["-o", "link", "show"], ["-o", "addr", "show"], ["route", "show", "table", "all"], ["rule", "show"],
                ["-6", "rule", "show"],
            ] {
                // IPv6 link-local addresses and their routes come and go with the kernel's DAD.
                lines += try ns.ip(command).split(separator: "\n").filter { !$0.contains("fe80:") }.map {
                    // Addresses of links and the kernel's operational state (a bridge that had a
                    // port is DOWN, one that never had one UNKNOWN) vary; names, flags, MTUs and
                    // masters are what a start may leave behind.
                    String($0).replacingOccurrences(
                        of: #"\s+(link/ether|brd|state) \S+"#, with: "", options: .regularExpression
                    ).replacingOccurrences(of: #"LOWER_UP,?| tentative"#, with: "", options: .regularExpression)
                }
            }
            let walker = FileManager.default.enumerator(atPath: state)
            while let path = walker?.nextObject() as? String {
                // Lock files live only while an operation holds them: one left is a leak.
                // A daemon's socket and lock are there while it serves.
                if path == "serve.lock" || path == "api.sock" || path.hasPrefix("site-live")
                    || path.hasPrefix("hook-versions/")
                    || path.hasPrefix("cache/")
                {
                    continue
                }
                var folder: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: state + "/" + path, isDirectory: &folder)
                if !folder.boolValue { lines.append("file " + path) }
            }
            return lines.sorted()
        }

        /// Expects the node as `before`, naming what differs.
        func expectUnchanged(since before: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let after = try snapshot()
            let gone = before.filter { !after.contains($0) }
            let added = after.filter { !before.contains($0) }
            #expect(gone.isEmpty && added.isEmpty, "gone: \(gone)\nadded: \(added)", sourceLocation: sourceLocation)
        }

        func spec(
            name: String, nics: [(mode: String, link: String, ip: String?)], extra: [String: Any] = [:],
            top: [String: Any] = [:], guestIP: String, gateway: String
        ) throws -> String {
            let (kernel, initrd) = try TestGuest.build()
            var hvparams: [String: Any] = [
                "kvm_path": TestGuest.qemuPath, "kernel_path": kernel, "initrd_path": initrd,
                "kernel_args": "guest.ip=\(guestIP) guest.gw=\(gateway)", "serial_console": true,
            ]
            if TestGuest.accelerator == "tcg" { hvparams["kvm_flag"] = "disabled" }
            for (key, value) in extra { hvparams[key] = value }
            var spec: [String: Any] = [
                "name": name, "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31", "hvparams": hvparams,
                "beparams": ["maxmem": 256, "vcpus": 1], "disks": [] as [Any], "tags": ["test"],
                "nics": nics.enumerated().map { index, nic -> [String: Any] in
                    var entry: [String: Any] = [
                        "mac": "52:54:00:12:34:5\(index)", "uuid": "\(index)03fc157-66a8-4e6d-8b7e-ec4f69751390",
                        "nicparams": ["mode": nic.mode, "link": nic.link],
                    ]
                    if let ip = nic.ip { entry["ip"] = ip }
                    return entry
                },
            ]
            for (key, value) in top { spec[key] = value }
            let data = try JSONSerialization.data(withJSONObject: spec, options: [.sortedKeys])
            return folder.write("\(name).json", String(decoding: data, as: UTF8.self))
        }
    }

    @Test func aBridgedGuestAnswersAndStopLeavesNothing() throws {
        let node = try Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest1", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.2/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        #expect(start.status == 0, "\(start.error)")
        let info = try node.taphouse(["instance", "info", "guest1", "--json"])
        #expect(info.status == 0, "\(info.error)")
        #expect(info.output.contains("\"state\" : \"running\""))
        #expect(info.output.contains("hooks/network/bridged.lua"))
        #expect(
            info.output.contains("\"memory_mi_b\" : 256") || info.output.contains("\"memory_mib\" : 256"),
            "\(info.output)")
        #expect(try node.ns.ip(["-o", "link", "show", "master", "br0"]).contains(": tap"))
        #expect(try node.pings("10.99.0.2"))
        let list = try node.taphouse(["instance", "list"])
        #expect(list.output.hasPrefix("guest1\trunning\t"))

        let stop = try node.taphouse(["instance", "stop", "guest1", "--timeout", "2"])
        #expect(stop.status == 0, "\(stop.error)")
        try node.expectUnchanged(since: before)
        #expect(try node.taphouse(["instance", "list"]).output.isEmpty)
    }

    @Test func aRoutedGuestAnswersThroughItsHostRoute() throws {
        let node = try Node()
        try node.ns.ip(["addr", "add", "10.99.1.1/32", "dev", "lo"])
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest2", nics: [("routed", "100", "10.99.1.2")], guestIP: "10.99.1.2/24", gateway: "10.99.1.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        #expect(start.status == 0, "\(start.error)")
        #expect(try node.ns.ip(["route", "show", "table", "100"]).contains("10.99.1.2 dev tap"))
        // The node's side reaches the guest through table 100 (ping from 10.99.1.1).
        try node.ns.ip(["rule", "add", "to", "10.99.1.2", "table", "100", "priority", "50"])
        #expect(try node.pings("10.99.1.2"))
        try node.ns.ip(["rule", "del", "to", "10.99.1.2", "table", "100", "priority", "50"])
        let stop = try node.taphouse(["instance", "stop", "guest2", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        try node.expectUnchanged(since: before)
    }

    @Test func aStartThatFailsInQemuIsUndoneAndShowsWhatQemuSaid() throws {
        let node = try Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest3", nics: [("bridged", "br0", nil)], extra: ["kvm_extra": "-no-such-option"],
            guestIP: "10.99.0.3/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        #expect(start.status == 1)
        #expect(start.error.hasPrefix("start guest3: launching qemu: exit status 1"), "\(start.error)")
        #expect(start.error.contains("-no-such-option"))
        try node.expectUnchanged(since: before)
    }

    @Test func aStartThatFailsInAHookIsUndoneAndNamesTheHookLine() throws {
        let node = try Node()
        node.folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            return { up = function(nic)
              base.up(nic)
              if nic.INTERFACE_INDEX == 2 then error("no room on " .. nic.LINK) end
            end }
            """)
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest4", nics: [("bridged", "br0", nil), ("bridged", "br0", nil), ("bridged", "br0", nil)],
            guestIP: "10.99.0.4/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        #expect(start.status == 1)
        #expect(start.error.contains("start guest4: NIC 2 up hook: instance guest4, NIC 2: "), "\(start.error)")
        #expect(start.error.contains("network/bridged.lua:4: no room on br0"))
        try node.expectUnchanged(since: before)
    }

    @Test func aKilledQemuIsShownStoppedAndCleanupUndoesItsNICs() throws {
        let node = try Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest5", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.5/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec, "--paused"])
        #expect(start.status == 0, "\(start.error)")
        #expect(try node.taphouse(["instance", "info", "guest5"]).output.contains("state\tpaused"))
        let pid = try #require(
            pid_t(
                try String(contentsOfFile: node.state + "/pid/guest5", encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)))
        kill(pid, SIGKILL)
        var gone = false
        for _ in 0..<200 where !gone {
            gone = kill(pid, 0) != 0
            usleep(20_000)
        }
        #expect(gone)
        #expect(try node.taphouse(["instance", "list"]).output.hasPrefix("guest5\tstopped\t-"))
        let refused = try node.taphouse(["instance", "cleanup", "nosuch"])
        #expect(refused.status == 1)
        let cleanup = try node.taphouse(["instance", "cleanup", "guest5"])
        #expect(cleanup.status == 0, "\(cleanup.error)")
        try node.expectUnchanged(since: before)
    }

    @Test func aDeadInstancesUndoLeavesTheInstanceThatGotItsTapNamesAlone() throws {
        // X's qemu is killed: its taps go, its journals stay. Y starts and the kernel gives it
        // X's tap names. X's journals are undone by X's next start and by its cleanup: Y's taps,
        // rule, route and sysctls stay exactly as Y's start left them.
        let node = try Node()
        try node.ns.ip(["addr", "add", "10.99.1.1/32", "dev", "lo"])
        let before = try node.snapshot()
        let nics: [(mode: String, link: String, ip: String?)] = [
            ("bridged", "br0", nil), ("routed", "100", "10.99.1.5"),
        ]
        let x = try node.spec(name: "x", nics: nics, guestIP: "10.99.0.5/24", gateway: "10.99.0.1")
        let y = try node.spec(
            name: "y", nics: [("bridged", "br0", nil), ("routed", "100", "10.99.1.6")], guestIP: "10.99.0.6/24",
            gateway: "10.99.0.1")
        func taps(_ name: String) throws -> [String] {
            try (0..<2).map {
                try String(contentsOfFile: node.state + "/nic/\(name)/\($0)", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        /// What of the node concerns `taps`: their links, routes, rules and sysctls.
        func view(_ taps: [String]) throws -> [String] {
            var lines = try node.snapshot().filter { line in
                taps.contains { line.range(of: "\\b\($0)\\b", options: .regularExpression) != nil }
            }
            for tap in taps {
                for key in ["ipv4/conf/\(tap)/proxy_arp", "ipv4/conf/\(tap)/forwarding"] {
                    let value = try node.ns.run { try String(contentsOfFile: "/proc/sys/net/" + key, encoding: .utf8) }
                    lines.append(key + "=" + value)
                }
            }
            return lines
        }

        #expect(try node.taphouse(["instance", "start", "--spec", x, "--paused"]).status == 0)
        let xTaps = try taps("x")
        try node.killQemu("x")
        let started = try node.taphouse(["instance", "start", "--spec", y, "--paused"])
        #expect(started.status == 0, "\(started.error)")
        let yTaps = try taps("y")
        #expect(yTaps == xTaps, "the kernel gave Y the names X's taps had")
        let yView = try view(yTaps)
        #expect(yView.contains { $0.contains("master br0") }, "\(yView)")
        #expect(yView.contains { $0.contains("lookup 100") }, "\(yView)")

        // X's next start undoes X's stale journals.
        let again = try node.taphouse(["instance", "start", "--spec", x, "--paused"])
        #expect(again.status == 0, "\(again.error)")
        #expect(try view(yTaps) == yView)
        try node.killQemu("x")
        let cleanup = try node.taphouse(["instance", "cleanup", "x"])
        #expect(cleanup.status == 0, "\(cleanup.error)")
        #expect(try view(yTaps) == yView)

        #expect(try node.taphouse(["instance", "stop", "y", "--force"]).status == 0)
        try node.expectUnchanged(since: before)
    }

    @Test func aSoftRebootStartsTheGuestAgainFromItsRuntimeAsTheUserItNames() throws {
        let node = try Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest6", nics: [("bridged", "br0", nil)],
            extra: ["security_model": "user", "security_domain": "nobody"], guestIP: "10.99.0.6/24",
            gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        #expect(start.status == 0, "\(start.error)")
        #expect(try node.pings("10.99.0.6"))
        func qemuUser() throws -> String? {
            let pid = try String(contentsOfFile: node.state + "/pid/guest6", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            return status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst()
                .first
                .map(String.init)
        }
        #expect(try qemuUser() == String(getpwnam("nobody")!.pointee.pw_uid))
        let firstPID = try String(contentsOfFile: node.state + "/pid/guest6", encoding: .utf8)

        let reboot = try node.taphouse(["instance", "reboot", "guest6", "--timeout", "2"])
        #expect(reboot.status == 0, "\(reboot.error)")
        #expect(try String(contentsOfFile: node.state + "/pid/guest6", encoding: .utf8) != firstPID)
        #expect(try qemuUser() == String(getpwnam("nobody")!.pointee.pw_uid))
        #expect(try node.pings("10.99.0.6"))
        let stop = try node.taphouse(["instance", "stop", "guest6", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        try node.expectUnchanged(since: before)
    }

    @Test func aStartCutShortIsClearedByTheNextStart() throws {
        let node = try Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest7", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.7/24", gateway: "10.99.0.1")
        #expect(try node.taphouse(["instance", "start", "--spec", spec, "--paused"]).status == 0)
        // As if taphouse had been killed right after qemu started: qemu dies too, its state stays.
        try node.killQemu("guest7")
        let again = try node.taphouse(["instance", "start", "--spec", spec, "--paused"])
        #expect(again.status == 0, "\(again.error)")
        #expect(try node.ns.ip(["-o", "link", "show", "master", "br0"]).components(separatedBy: ": tap").count == 2)
        #expect(try node.taphouse(["instance", "stop", "guest7", "--force"]).status == 0)
        try node.expectUnchanged(since: before)
    }

    @Test func aPoolInstanceRunsAsAFreeUidWhichStopGivesBack() throws {
        let node = try Node()
        let before = try node.snapshot()
        let nobody = getpwnam("nobody")!.pointee.pw_uid
        let spec = try node.spec(
            name: "guest8", nics: [("bridged", "br0", nil)], extra: ["security_model": "pool"],
            guestIP: "10.99.0.8/24", gateway: "10.99.0.1")
        let other = try node.spec(
            name: "guest9", nics: [("bridged", "br0", nil)], extra: ["security_model": "pool"],
            guestIP: "10.99.0.9/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec, "--paused"], uidPool: "\(nobody)")
        #expect(start.status == 0, "\(start.error)")
        #expect(try String(contentsOfFile: node.state + "/uid/guest8", encoding: .utf8) == "\(nobody)\n")
        #expect(FileManager.default.fileExists(atPath: node.state + "/uid-pool/\(nobody)"))
        // Its only uid runs qemu now: the pool has none left.
        let refused = try node.taphouse(["instance", "start", "--spec", other, "--paused"], uidPool: "\(nobody)")
        #expect(refused.status == 1)
        #expect(refused.error.contains("no unused uid in the uid pool"), "\(refused.error)")
        #expect(try node.taphouse(["instance", "stop", "guest8", "--force"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: node.state + "/uid-pool/\(nobody)"))
        try node.expectUnchanged(since: before)
    }

    @Test func aSpecCannotNameAProgramForTheNodeToRun() throws {
        let node = try Node()
        let before = try node.snapshot()
        let spec = try node.spec(
            name: "guest10", nics: [("bridged", "br0", nil)], extra: ["kvm_path": "/usr/bin/touch"],
            guestIP: "10.99.0.10/24", gateway: "10.99.0.1")
        let start = try node.taphouse(["instance", "start", "--spec", spec])
        #expect(start.status == 1)
        #expect(
            start.error.hasPrefix(
                "start guest10: checking the node: hvparams.kvm_path: /usr/bin/touch is not one of this node's qemu binaries"
            ),
            "\(start.error)")
        try node.expectUnchanged(since: before)
    }
}

import Foundation
import HostNet
import TestSupport
import Testing

/// `taphouse instance console` end to end: a real guest's serial console under a
/// pseudo-terminal (its output seen, typed input reaching its shell, Ctrl-] leaving the terminal
/// as it was, a paused instance resumed once attached); the description of VNC and SPICE
/// consoles, as the built-in rules and a site policy make them; console passwords set through QMP
/// and never on qemu's command line.
@Suite(
    "Instance consoles end to end",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
struct InstanceConsoleTests {
    typealias Node = InstanceLifecycleTests.Node

    @Test func theSerialConsoleAttachesTypesDetachesAndResumesAPausedGuest() throws {
        let node = try Node()
        let spec = try node.spec(
            name: "console1", nics: [], extra: ["kernel_args": "guest.shell=1"], guestIP: "", gateway: "")
        let start = try node.taphouse(["instance", "start", "--spec", spec, "--paused"])
        #expect(start.status == 0, "\(start.error)")
        defer { _ = try? node.taphouse(["instance", "stop", "console1", "--force"]) }

        let described = try node.taphouse(["instance", "console", "console1", "--json"])
        #expect(described.status == 0, "\(described.error)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(described.output.utf8)) as? [String: Any])
        #expect(json["kind"] as? String == "ssh")
        #expect(json["user"] as? String == "root" && json["port"] as? Int == 22)
        let command = try #require(json["command"] as? [String])
        #expect(Array(command.dropFirst()) == ["instance", "console", "console1", "--state-dir", node.state])
        #expect(command.first.map { FileManager.default.isExecutableFile(atPath: $0) } == true)

        let terminal = try PseudoTerminal()
        let modes = terminal.modes
        let console = try terminal.spawn(
            [
                "/usr/sbin/ip", "netns", "exec", node.ns.name, TaphouseBinary.path, "instance", "console", "console1",
                "--state-dir", node.state, "--hooks-dir", node.site,
            ])
        // Started paused, the guest boots only because the attach resumed it.
        #expect(terminal.read(until: "Instance console1 is paused, unpausing", within: 30), "\(terminal.text)")
        let shell = try #require(terminal.offset(after: "GUEST-SHELL", within: 120), "\(terminal.text)")
        // The prompt may have come in the same read as the marker: look for it from the marker.
        #expect(terminal.read(until: "# ", from: shell, within: 30), "\(terminal.text)")
        // The answer is not in what the guest echoes back: only a shell that ran the line prints it.
        let typed = terminal.transcript.count
        terminal.type(Array("echo typed-$((6*7))\r".utf8))
        #expect(terminal.read(until: "typed-42", from: typed, within: 30), "\(terminal.text)")
        terminal.type([0x1d])
        #expect(terminal.wait(console, within: 15) == 0, "\(terminal.text)")
        #expect(terminal.text.contains("Detached from console1."))
        #expect(terminal.modes == modes, "the terminal is left in the mode it was in")
        let info = try node.taphouse(["instance", "info", "console1", "--json"])
        #expect(info.output.contains("\"state\" : \"running\""), "\(info.output)")

        // Ended by a signal instead, it still puts the terminal back before the signal ends it.
        let again = try terminal.spawn(
            [
                "/usr/sbin/ip", "netns", "exec", node.ns.name, TaphouseBinary.path, "instance", "console", "console1",
                "--state-dir", node.state,
            ])
        let attached = terminal.transcript.count
        #expect(terminal.read(until: "Ctrl-] leaves", from: attached, within: 30), "\(terminal.text)")
        // The shell answers only once the attach is made (and raw mode is on).
        terminal.type(Array("echo again-$((6*8))\r".utf8))
        #expect(terminal.read(until: "again-48", from: attached, within: 30), "\(terminal.text)")
        #expect(terminal.modes != modes, "raw while attached")
        kill(again, SIGTERM)
        #expect(terminal.wait(again, within: 15) == 128 + SIGTERM)
        #expect(terminal.modes == modes, "the terminal is left in the mode it was in after SIGTERM")

        // A stopped instance has no console to attach to.
        #expect(try node.taphouse(["instance", "stop", "console1", "--force"]).status == 0)
        let gone = try node.taphouse(["instance", "console", "console1"])
        #expect(gone.status == 1)
        #expect(gone.error.contains("console console1: "), "\(gone.error)")
    }

    @Test func vncAndSpiceConsolesAreDescribedAndTheirPasswordsStayOffTheCommandLine() throws {
        let node = try Node()
        let before = try node.snapshot()
        let vncPassword = node.folder.write("vnc.pw", "vnc-secret-1\n")
        let vnc = try node.spec(
            name: "console2", nics: [],
            extra: [
                "serial_console": false, "vnc_bind_address": "127.0.0.1", "vnc_password_file": vncPassword,
            ], top: ["network_port": 5901], guestIP: "10.99.0.9/24", gateway: "10.99.0.1")
        let started = try node.taphouse(["instance", "start", "--spec", vnc, "--paused"])
        #expect(started.status == 0, "\(started.error)")
        let described = try node.taphouse(["instance", "console", "console2", "--json"])
        #expect(described.output.contains("\"kind\" : \"vnc\""), "\(described.output)")
        #expect(described.output.contains("\"display\" : 1") && described.output.contains("\"port\" : 5901"))
        let text = try node.taphouse(["instance", "console", "console2"])
        #expect(text.output == "Instance console2 has VNC listening on 127.0.0.1:5901 (display 1)\n")
        #expect(try !commandLine(node, "console2").contains("vnc-secret-1"))
        #expect(try commandLine(node, "console2").contains("password=on"))

        // A site policy moves the VNC console behind a proxy.
        node.folder.write(
            "site/console.lua",
            """
            return { console = function(instance, default)
              if default.kind ~= "vnc" then return default end
              return { kind = "vnc", host = "proxy." .. instance.primary_node, port = default.port + 1000,
                       display = default.display }
            end }
            """)
        let proxied = try node.taphouse(["instance", "console", "console2", "--json"])
        #expect(proxied.output.contains("\"host\" : \"proxy."), "\(proxied.output)")
        #expect(proxied.output.contains("\"port\" : 6901"), "\(proxied.output)")
        node.folder.write(
            "site/console.lua", "return { console = function() return { kind = 'vnc', port = '5901' } end }")
        let refused = try node.taphouse(["instance", "console", "console2", "--json"])
        #expect(refused.status == 1)
        #expect(refused.error.contains("site/console.lua:1:"), "\(refused.error)")
        try FileManager.default.removeItem(atPath: node.site + "/console.lua")
        #expect(try node.taphouse(["instance", "stop", "console2", "--force"]).status == 0)

        let spicePassword = node.folder.write("spice.pw", "spice-secret-2")
        let spice = try node.spec(
            name: "console3", nics: [],
            extra: ["serial_console": false, "spice_bind": "127.0.0.1", "spice_password_file": spicePassword],
            top: ["network_port": 5902], guestIP: "10.99.0.9/24", gateway: "10.99.0.1")
        let spiceStart = try node.taphouse(["instance", "start", "--spec", spice, "--paused"])
        #expect(spiceStart.status == 0, "\(spiceStart.error)")
        let spiceDescribed = try node.taphouse(["instance", "console", "console3", "--json"])
        #expect(spiceDescribed.output.contains("\"kind\" : \"spice\""), "\(spiceDescribed.output)")
        #expect(try !commandLine(node, "console3").contains("spice-secret-2"))
        #expect(try !commandLine(node, "console3").contains("disable-ticketing"))
        #expect(try node.taphouse(["instance", "stop", "console3", "--force"]).status == 0)

        // A password file of two lines is refused before qemu runs, naming the parameter only.
        node.folder.write("vnc.pw", "first-line-secret\nsecond\n")
        let refusedStart = try node.taphouse(["instance", "start", "--spec", vnc, "--paused"])
        #expect(refusedStart.status == 1)
        #expect(refusedStart.error.contains("vnc_password_file \(vncPassword): more than one line"))
        #expect(!refusedStart.error.contains("first-line-secret"))
        try node.expectUnchanged(since: before)
    }

    @Test func aNonEmptyChrootIsQuarantinedAtStopAndAnEmptyOneRemoved() throws {
        let node = try Node()
        let spec = try node.spec(
            name: "jail1", nics: [], extra: ["use_chroot": true, "serial_console": false], guestIP: "10.99.0.9/24",
            gateway: "10.99.0.1")
        for leftover in [false, true] {
            let start = try node.taphouse(["instance", "start", "--spec", spec, "--paused"])
            #expect(start.status == 0, "\(start.error)")
            let chroot = node.state + "/chroot/jail1"
            let attributes = try FileManager.default.attributesOfItem(atPath: chroot)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            #expect(try commandLine(node, "jail1").contains(chroot))
            if leftover { node.folder.write("state/chroot/jail1/core", "left by qemu") }
            let stop = try node.taphouse(["instance", "stop", "jail1", "--force"])
            #expect(stop.status == 0, "\(stop.error)")
            #expect(!FileManager.default.fileExists(atPath: chroot))
            let quarantined =
                (try? FileManager.default.contentsOfDirectory(atPath: node.state + "/chroot-quarantine"))
                ?? []
            if leftover {
                #expect(stop.error.contains("quarantined"), "\(stop.error)")
                #expect(quarantined.count == 1 && quarantined[0].hasPrefix("jail1-"), "\(quarantined)")
                let kept = node.state + "/chroot-quarantine/\(quarantined.first ?? "")/jail1/core"
                #expect((try? String(contentsOfFile: kept, encoding: .utf8)) == "left by qemu")
            } else {
                #expect(quarantined.isEmpty)
            }
        }
    }

    /// qemu's command line, as anyone on the node can read it in /proc.
    private func commandLine(_ node: Node, _ name: String) throws -> String {
        let pid = try String(contentsOfFile: node.state + "/pid/\(name)", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))
        return String(decoding: bytes.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }
}

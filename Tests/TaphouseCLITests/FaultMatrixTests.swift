import Foundation
import HostNet
import Synchronization
import TestSupport
import Testing

/// The fault matrix: a fault injected at every step of start, stop, reboot, a migration's
/// accept and finalize, and a NIC's hooks; each case must leave the node exactly as it was
/// before the instance, or the instance fully running (qemu, taps in their bridge, the routed
/// NIC's rule and route), with at most the one step an admin or a daemon takes after a crash
/// (the CLI's `cleanup`, the daemon's restart). The faults go through the seam the debug
/// build has (`FaultPoint`, `TAPHOUSE_FAULT=POINT:ACTION`), through site hooks, through the
/// kernel (a set_link it refuses half way) and through a full file system (a small tmpfs).
///
/// The rows the cases produce are `docs/reliability.md`'s tables: a case whose outcome changed
/// fails here until the document says so (`TAPHOUSE_WRITE_RELIABILITY=1 swift test --filter
/// FaultMatrix` writes what was found).
@Suite(
    "Fault matrix",
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
struct FaultMatrixTests {
    typealias Node = InstanceLifecycleTests.Node

    static let name = "fm1"
    static let routedAddress = "10.99.1.20"

    /// A node for the matrix: br0 and the routed NIC's table 100, an instance spec with a
    /// bridged and a routed NIC, and the node before anything of the instance existed.
    final class Bench: @unchecked Sendable {
        let node: Node
        let spec: String
        private(set) var before: [String] = []
        /// A tmpfs under the state directory, for the cases that fill it.
        private var mounted = false
        /// The daemon serving the node, whose children (hook workers) may stay.
        var daemon: pid_t?

        init(tmpfs: Bool = false, siteHook: String? = nil) throws {
            node = try Node()
            try node.ns.ip(["addr", "add", "10.99.1.1/32", "dev", "lo"])
            if tmpfs {
                try FileManager.default.createDirectory(atPath: node.state, withIntermediateDirectories: true)
                let mount = try BlockingCommand.run(
                    ["/usr/bin/mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "taphouse-faults", node.state],
                    timeout: .seconds(10))
                try #require(mount.status == 0, "mount: \(mount.standardError)")
                mounted = true
            }
            if let siteHook { node.folder.write("site/network/bridged.lua", siteHook) }
            spec = try node.spec(
                name: FaultMatrixTests.name,
                nics: [("bridged", "br0", nil), ("routed", "100", FaultMatrixTests.routedAddress)],
                guestIP: "10.99.0.20/24", gateway: "10.99.0.1")
            before = try node.snapshot()
        }

        deinit {
            if let pids = try? TaphouseBinary.run(["netns", "pids", node.ns.name], executable: "/usr/sbin/ip") {
                for pid in pids.output.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
            }
            if mounted {
                _ = try? BlockingCommand.run(["/usr/bin/umount", "-l", node.state], timeout: .seconds(10))
            }
        }

        func taphouse(_ arguments: [String], fault: String? = nil) throws -> TaphouseBinary.Result {
            try node.taphouse(arguments, environment: fault.map { ["TAPHOUSE_FAULT": $0] } ?? [:])
        }

        func start() throws {
            let start = try taphouse(["instance", "start", "--spec", spec, "--paused"])
            try #require(start.status == 0, "the start before the fault: \(start.error)")
            try #require(try runsFully() == nil)
        }

        /// Removes what `fill` wrote: the file system has room again.
        func unfill() { unlink(node.state + "/.fault-fill") }

        func tap(_ index: Int) -> String? {
            (try? String(contentsOfFile: node.state + "/nic/\(FaultMatrixTests.name)/\(index)", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Nil when the instance runs fully: its qemu, its taps (the bridged one in br0), the
        /// routed one's rule and route; else what is missing.
        func runsFully() throws -> String? {
            let pidText = (try? String(contentsOfFile: node.state + "/pid/\(FaultMatrixTests.name)", encoding: .utf8))
            guard let pid = pid_t(pidText?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""),
                DaemonTests.runs(pid)
            else { return "no qemu" }
            guard FileManager.default.fileExists(atPath: node.state + "/conf/\(FaultMatrixTests.name).runtime") else {
                return "no runtime"
            }
            // A start's marker left by a start cut short: the next start, a cleanup or a daemon
            // rolls it back, so it does not count as running.
            guard !FileManager.default.fileExists(atPath: node.state + "/conf/\(FaultMatrixTests.name).starting")
            else { return "a start cut short" }
            guard let bridged = tap(0), let routed = tap(1) else { return "a NIC file is missing" }
            guard try node.ns.ip(["-o", "link", "show", "dev", bridged]).contains("master br0") else {
                return "\(bridged) is not in br0"
            }
            guard try node.ns.ip(["rule", "show"]).contains("iif \(routed) lookup 100") else {
                return "no rule for \(routed)"
            }
            guard
                try node.ns.ip(["route", "show", "table", "100"]).contains(
                    "\(FaultMatrixTests.routedAddress) dev \(routed)")
            else { return "no route for \(routed)" }
            return nil
        }

        /// What differs from the node before the instance, or nil: links, addresses, routes,
        /// rules, state files, and any process in the namespace but the daemon and its children.
        func difference() throws -> String? {
            let after = try node.snapshot()
            let gone = before.filter { !after.contains($0) }
            let added = after.filter { !before.contains($0) } + (try strayProcesses())
            return gone.isEmpty && added.isEmpty ? nil : "gone: \(gone); left: \(added)"
        }

        func strayProcesses() throws -> [String] {
            let pids = try TaphouseBinary.run(["netns", "pids", node.ns.name], executable: "/usr/sbin/ip").output
            return pids.split(separator: "\n").compactMap { pid_t($0) }.compactMap { pid in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { return nil }
                let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
                let parent = fields.count > 1 ? pid_t(fields[1]) : nil
                guard pid != daemon, parent != daemon || daemon == nil, fields.first != "Z" else { return nil }
                return "process " + stat[...close]
            }
        }

        /// The node after the fault, with `then` (the one step an admin or a daemon takes, if
        /// any): as before, or running fully, and otherwise a failure naming what is left.
        func outcome(then: () throws -> String?) throws -> (then: String, after: String) {
            var step = "-"
            for attempt in 0..<2 {
                if try difference() == nil { return (step, "as before") }
                if try runsFully() == nil {
                    // Fully running: it stops to nothing, as any instance does.
                    let stop = try taphouse(["instance", "stop", FaultMatrixTests.name, "--force"])
                    #expect(stop.status == 0, "\(stop.error)")
                    let left = try difference()
                    #expect(left == nil, "after the stop: \(left ?? "")")
                    return (step, "running")
                }
                guard attempt == 0, let taken = try then() else { break }
                step = taken
            }
            // A tap the kernel takes away with a killed qemu goes a moment later.
            for _ in 0..<50 where try difference() != nil { usleep(100_000) }
            if try difference() == nil { return (step, "as before") }
            return (step, "LEFT: " + (try difference() ?? ""))
        }

        /// The CLI's way after a failure: `cleanup` (a refused one is no step taken).
        func cleanup() throws -> String? {
            let cleanup = try taphouse(["instance", "cleanup", FaultMatrixTests.name])
            return cleanup.status == 0 ? "cleanup" : nil
        }
    }

    /// A row of `docs/reliability.md`.
    struct Row: Sendable, Equatable {
        var operation: String
        var fault: String
        var answer: String
        var then: String
        var after: String

        var line: String { "| \(operation) | \(fault) | \(answer) | \(then) | \(after) |" }
    }

    /// How a command answered, in the document's words: `ok`, `killed`, or the step it named.
    static func answer(_ result: TaphouseBinary.Result) -> String {
        switch result.status {
        case 0: return "ok"
        case 137, -9, 9: return "killed"
        default:
            // "start fm1: NIC 0 up hook: ..." names its step second (log lines may come first).
            let line = result.error.split(separator: "\n").last { $0.contains(" \(name): ") }
            let parts = line?.components(separatedBy: ": ") ?? []
            return parts.count > 1 ? "refused at \(parts[1])" : "refused (\(result.status))"
        }
    }

    // MARK: - The cases through the CLI

    static let launchPoints = ["taps", "prepared", "spawned", "up", "qmp", "resumed"]

    @Test func aStartWithAFaultAtEveryStep() throws {
        var rows: [Row] = []
        let points = ["start.begin", "start.saved"] + Self.launchPoints.map { "start." + $0 }
        let cases =
            points.flatMap { [($0, "fail"), ($0, "exit")] }
            + Self.launchPoints.dropFirst(3).map { ("start." + $0, "kill-qemu") }
        for (point, action) in cases {
            let bench = try Bench()
            let start = try bench.taphouse(
                ["instance", "start", "--spec", bench.spec, "--paused"], fault: "\(point):\(action)")
            if action == "fail" {
                #expect(start.status == 1 && start.error.contains(point), "\(point): \(start.error)")
            }
            if action == "exit" { #expect(Self.answer(start) == "killed", "\(point): \(start.status) \(start.error)") }
            let (then, after) = try bench.outcome(then: bench.cleanup)
            #expect(!after.hasPrefix("LEFT"), "\(point):\(action): \(after)")
            rows.append(
                Row(
                    operation: "start", fault: "\(action) at `\(point)`", answer: Self.answer(start), then: then,
                    after: after))
        }
        // The state directory full when the runtime, the NIC files, a journal are written.
        for (point, what) in [
            ("start.begin", "the runtime"), ("start.saved", "a NIC file"), ("start.spawned", "a journal"),
        ] {
            let bench = try Bench(tmpfs: true)
            let start = try bench.taphouse(
                ["instance", "start", "--spec", bench.spec, "--paused"], fault: "\(point):fill")
            #expect(start.status == 1, "\(point): \(start.error)")
            bench.unfill()
            let (then, after) = try bench.outcome(then: bench.cleanup)
            #expect(!after.hasPrefix("LEFT"), "\(point):fill: \(after)")
            rows.append(
                Row(
                    operation: "start", fault: "state directory full at `\(point)` (\(what))",
                    answer: Self.answer(start), then: then, after: after))
        }
        try Self.record("start", rows)
    }

    @Test func aStopAndARebootWithAFaultAtEveryStep() throws {
        var rows: [Row] = []
        typealias Case = (verb: [String], point: String, action: String)
        let stop = ["stop", "--force"]
        let reboot = ["reboot", "--timeout", "1"]
        let rebootPoints = ["reboot.halted", "reboot.down"] + Self.launchPoints.map { "reboot." + $0 }
        var cases: [Case] = []
        for point in ["stop.halted", "stop.down"] { cases += [(stop, point, "fail"), (stop, point, "exit")] }
        for point in rebootPoints { cases += [(reboot, point, "fail"), (reboot, point, "exit")] }
        cases += [(reboot, "reboot.qmp", "kill-qemu"), (stop, "stop.halted", "fill"), (reboot, "reboot.down", "fill")]
        for (verb, point, action) in cases {
            let bench = try Bench(tmpfs: action == "fill")
            try bench.start()
            let result = try bench.taphouse(
                ["instance", verb[0], Self.name] + verb.dropFirst(), fault: "\(point):\(action)")
            if action == "fail" {
                #expect(result.status == 1 && result.error.contains(point), "\(point): \(result.error)")
            }
            if action == "fill" { bench.unfill() }
            let (then, after) = try bench.outcome(then: bench.cleanup)
            #expect(!after.hasPrefix("LEFT"), "\(point):\(action): \(after)")
            let fault = action == "fill" ? "state directory full at `\(point)`" : "\(action) at `\(point)`"
            rows.append(Row(operation: verb[0], fault: fault, answer: Self.answer(result), then: then, after: after))
        }
        try Self.record("stop and reboot", rows)
    }

    /// A site hook for bridged NICs whose `up` or `down` misbehaves after the built-in's work.
    static func faultyHook(_ action: String, _ fault: String) -> String {
        let misbehave =
            switch fault {
            case "errors": #"error("the site's hook failed")"#
            case "loops past its budget": "while true do end"
            case "eats its memory": #"local t = {} for i = 1, 1e9 do t[i] = ("x"):rep(4096) .. i end"#
            case "fails half way": #"net.set_link(nic.INTERFACE, { mtu = 1400 }) error("half way")"#
            default:
                // The kernel applies the MTU and then refuses the master (a veth is no master):
                // set_link fails after part of its change took effect.
                #"net.set_link(nic.INTERFACE, { mtu = 1300, master = "up1" })"#
            }
        // The built-in has no `down` of its own (the journal's undo is its down); a site's runs
        // before that undo.
        return """
            local base = require "taphouse.builtin.network.bridged"
            local net = require "taphouse.net"
            return {
              up = function(nic)
                base.up(nic)
                \(action == "up" ? misbehave : "")
              end,
              down = function(nic)
                \(action == "down" ? misbehave : "")
              end,
            }
            """
    }

    @Test func aHookThatMisbehavesInUpOrDown() throws {
        var rows: [Row] = []
        let faults = [
            "errors", "loops past its budget", "eats its memory", "fails half way", "is refused half way by the kernel",
        ]
        for action in ["up", "down"] {
            for fault in faults {
                let bench = try Bench(siteHook: Self.faultyHook(action, fault))
                let result: TaphouseBinary.Result
                if action == "up" {
                    result = try bench.taphouse(["instance", "start", "--spec", bench.spec, "--paused"])
                    #expect(result.status == 1, "up \(fault): \(result.error)")
                } else {
                    try bench.start()
                    result = try bench.taphouse(["instance", "stop", Self.name, "--force"])
                }
                let (then, after) = try bench.outcome(then: bench.cleanup)
                #expect(!after.hasPrefix("LEFT"), "\(action) \(fault): \(after)")
                rows.append(
                    Row(
                        operation: action == "up" ? "start" : "stop", fault: "the bridged NIC's `\(action)` \(fault)",
                        answer: Self.answer(result), then: then, after: after))
            }
        }
        try Self.record("hooks", rows)
    }

    // MARK: - A migration's accept and finalize

    /// A migration between two nodes with a fault at each step of the target's accept (the
    /// source runs on; the target is as before, with at most the `finalize --failure` an
    /// orchestrator sends after a failed accept) and of its finalize once the guest moved (the
    /// guest runs fully on the target, with at most a second `finalize`).
    @Test func aMigrationsAcceptAndFinalizeWithAFaultAtEveryStep() throws {
        var rows: [Row] = []
        let pair = try MigrationTests.Pair()
        let (beforeA, beforeB) = (try pair.a.snapshot(), try pair.b.snapshot())
        let start = { try pair.startGuest(Self.name, nics: [("bridged", "br0", nil)], guestIP: "", gateway: "") }
        try start()
        let info = try pair.a.taphouse(["instance", "migration-info", Self.name])
        try #require(info.status == 0, "\(info.error)")
        let accept = [
            "instance", "accept", "--migration-info", pair.b.folder.write("info.json", info.output), "--listen",
            "10.98.0.2:8102",
        ]
        /// What the target has that it had not before the instance (processes too), or nil.
        func leftOnTarget() throws -> String? {
            let after = try pair.b.snapshot()
            let added = after.filter { !beforeB.contains($0) }
            let gone = beforeB.filter { !after.contains($0) }
            let processes = try TaphouseBinary.run(["netns", "pids", pair.b.ns.name], executable: "/usr/sbin/ip")
                .output.split(separator: "\n").filter { DaemonTests.runs(pid_t($0) ?? 0) }
            if added.isEmpty, gone.isEmpty, processes.isEmpty { return nil }
            return "gone: \(gone); left: \(added); processes: \(processes)"
        }
        /// Whether the instance is listed running on `node`, its tap in br0.
        func runs(on node: Node) throws -> Bool {
            guard try node.taphouse(["instance", "list"]).output.hasPrefix("\(Self.name)\trunning\t") else {
                return false
            }
            let tap = try String(contentsOfFile: node.state + "/nic/\(Self.name)/0", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            return try node.ns.ip(["-o", "link", "show", "dev", tap]).contains("master br0")
        }

        let points = Self.launchPoints.map { "accept." + $0 }
        for (point, action) in points.flatMap({ [($0, "fail"), ($0, "exit")] }) + [("accept.qmp", "kill-qemu")] {
            let result = try pair.b.taphouse(accept, environment: ["TAPHOUSE_FAULT": "\(point):\(action)"])
            if action == "fail" {
                #expect(result.status == 1 && result.error.contains(point), "\(point): \(result.error)")
            }
            var then = "-"
            if try leftOnTarget() != nil {
                let finalize = try pair.b.taphouse(["instance", "finalize", Self.name, "--failure"])
                #expect(finalize.status == 0, "\(point):\(action): \(finalize.error)")
                if finalize.status == 0 { then = "finalize --failure" }
            }
            for _ in 0..<50 where try leftOnTarget() != nil { usleep(100_000) }
            let left = try leftOnTarget()
            #expect(left == nil, "\(point):\(action): \(left ?? "")")
            #expect(try runs(on: pair.a), "\(point):\(action): the source does not run on")
            rows.append(
                Row(
                    operation: "accept", fault: "\(action) at `\(point)`", answer: Self.answer(result), then: then,
                    after: left.map { "LEFT: " + $0 } ?? "as before, the source runs on"))
        }

        for (point, action) in ["finalize.arrived", "finalize.resumed"].flatMap({ [($0, "fail"), ($0, "exit")] }) {
            if try !runs(on: pair.a) { try start() }
            let info = try pair.a.taphouse(["instance", "migration-info", Self.name])
            let accepted = try pair.b.taphouse(
                [
                    "instance", "accept", "--migration-info", pair.b.folder.write("info.json", info.output), "--listen",
                    "10.98.0.2:8102",
                ])
            try #require(accepted.status == 0, "\(accepted.error)")
            let migrate = try pair.a.taphouse(
                ["instance", "migrate", Self.name, "--target", "10.98.0.2:8102", "--bandwidth", "0"])
            try #require(migrate.status == 0, "\(migrate.error)")
            let result = try pair.b.taphouse(
                ["instance", "finalize", Self.name, "--success"], environment: ["TAPHOUSE_FAULT": "\(point):\(action)"])
            var then = "-"
            if try !runs(on: pair.b)
                || FileManager.default.fileExists(atPath: pair.b.state + "/conf/\(Self.name).incoming")
            {
                let again = try pair.b.taphouse(["instance", "finalize", Self.name, "--success"])
                #expect(again.status == 0, "\(point):\(action): \(again.error)")
                then = again.status == 0 ? "finalize" : "finalize refused"
            }
            let running = try runs(on: pair.b)
            #expect(running, "\(point):\(action): the guest does not run on the target")
            try pair.a.expectUnchanged(since: beforeA)
            rows.append(
                Row(
                    operation: "finalize", fault: "\(action) at `\(point)`", answer: Self.answer(result), then: then,
                    after: running ? "running on the target" : "LEFT: not running"))
            // Back to the source for the next case.
            #expect(try pair.b.taphouse(["instance", "stop", Self.name, "--force"]).status == 0)
            #expect(try leftOnTarget() == nil)
        }
        try Self.record("migration", rows)
    }

    // MARK: - The daemon killed at every step

    /// The daemon killed (SIGKILL, through the seam) at each step of a start, stop and reboot it
    /// runs, and started again: it settles what it finds before it serves (a start cut short
    /// rolled back, a qemu that died with it cleaned up and listed crashed), so that the node is
    /// as before, or the instance runs fully, with at most a cleanup through the API after.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func theDaemonKilledAtEveryStepAndRestarted() throws {
        var rows: [Row] = []
        let cases: [(operation: String, point: String)] =
            ["start.begin", "start.saved"].map { ("start", $0) } + Self.launchPoints.map { ("start", "start." + $0) }
            + [
                ("stop", "stop.halted"), ("stop", "stop.down"), ("reboot", "reboot.halted"),
                ("reboot", "reboot.down"), ("reboot", "reboot.spawned"), ("reboot", "reboot.resumed"),
            ]
        for (operation, point) in cases {
            let bench = try Bench()
            if operation != "start" { try bench.start() }
            let daemon = try DaemonTests.Daemon(
                bench.node, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TAPHOUSE_FAULT=\(point):exit"])
            bench.daemon = daemon.pid
            let answer: DaemonTests.Daemon.Answer
            switch operation {
            case "start":
                answer = try daemon.curl(
                    ["/v1/instances?paused=true"], method: "POST",
                    body: try String(contentsOfFile: bench.spec, encoding: .utf8))
            default:
                answer = try daemon.curl(
                    ["/v1/instances/\(Self.name)/\(operation)"], method: "POST", body: #"{"timeout": 1, "force": true}"#
                )
            }
            #expect(answer.status == 0, "\(point): the daemon answered \(answer.status) \(answer.body)")
            var status: Int32 = 0
            waitpid(daemon.pid, &status, 0)
            daemon.environment = nil
            try daemon.start()
            bench.daemon = daemon.pid
            // The daemon settles what it finds before it serves; the one step after is a cleanup
            // through it (of a qemu that died with it, listed crashed).
            let (then, after) = try bench.outcome {
                let cleanup = try daemon.curl(["/v1/instances/\(Self.name)/cleanup"], method: "POST")
                return cleanup.status == 200 ? "cleanup" : nil
            }
            #expect(!after.hasPrefix("LEFT"), "\(point): \(after)\n\(daemon.log)")
            rows.append(
                Row(
                    operation: operation, fault: "daemon killed at `\(point)`",
                    answer: answer.status == 0 ? "connection lost" : "\(answer.status)",
                    then: "daemon restarted" + (then == "-" ? "" : ", " + then), after: after))
            daemon.stop()
        }
        try Self.record("daemon", rows)
    }

    // MARK: - The document

    private static let document = Mutex(())

    /// Checks `rows` against `docs/reliability.md`'s table `section` (or writes it there with
    /// `TAPHOUSE_WRITE_RELIABILITY=1`).
    static func record(_ section: String, _ rows: [Row], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = TestGuest.repositoryPath + "/docs/reliability.md"
        let begin = "<!-- fault matrix: \(section) -->"
        let end = "<!-- end of fault matrix: \(section) -->"
        let table =
            (["| Operation | Fault | Answer | Then | Node after |", "|---|---|---|---|---|"] + rows.map(\.line))
            .joined(separator: "\n")
        try document.withLock { _ in
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            guard let from = text.range(of: begin), let to = text.range(of: end, range: from.upperBound..<text.endIndex)
            else {
                Issue.record("\(path) has no \(begin) ... \(end)", sourceLocation: sourceLocation)
                return
            }
            let found = text[from.upperBound..<to.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            if ProcessInfo.processInfo.environment["TAPHOUSE_WRITE_RELIABILITY"] == "1" {
                let written = text.replacingCharacters(in: from.upperBound..<to.lowerBound, with: "\n" + table + "\n")
                try written.write(toFile: path, atomically: true, encoding: .utf8)
            } else {
                #expect(
                    found == table,
                    "docs/reliability.md (\(section)) is not what the fault matrix found; TAPHOUSE_WRITE_RELIABILITY=1 swift test --filter FaultMatrix writes it:\n\(table)",
                    sourceLocation: sourceLocation)
            }
        }
    }
}

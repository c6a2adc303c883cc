import Foundation
import HostNet
import Synchronization
import TestSupport
import Testing

/// `taphouse serve` on a real socket, driven with curl as an orchestrator or an admin would.
@Suite(
    "The node daemon",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl (apt install curl)"))
struct DaemonTests {
    /// A daemon running in a node's namespace, on the node's state directory. Unchecked
    /// Sendable: a test starts and stops it from one thread; curl runs from any.
    final class Daemon: @unchecked Sendable {
        let node: InstanceLifecycleTests.Node
        private(set) var pid: pid_t
        var socket: String { node.state + "/api.sock" }
        /// Every answer curl got: each is checked against the OpenAPI document at the end.
        private let answers = Mutex<[(method: String, path: String, answer: Answer)]>([])

        init(_ node: InstanceLifecycleTests.Node) throws {
            self.node = node
            pid = 0
            try start()
        }

        deinit {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }

        func start() throws {
            let log = node.folder.path + "/daemon.log"
            let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            defer { close(fd) }
            pid = try ProcessSpawn.spawn(
                [
                    NetworkNamespace.ipPath, "netns", "exec", node.ns.name, TaphouseBinary.path, "serve", "--state-dir",
                    node.state, "--hooks-dir", node.site,
                ],
                ProcessSpawn.Options(standardOutput: fd, standardError: fd))
            let deadline = ContinuousClock.now + .seconds(60)
            while (try? curl(["/v1/node"]).status) != 200 {
                try #require(ContinuousClock.now < deadline, "the daemon never answered: \(self.log)")
                usleep(50_000)
            }
        }

        var log: String { (try? String(contentsOfFile: node.folder.path + "/daemon.log", encoding: .utf8)) ?? "" }

        /// Sends SIGTERM (or `signal`) and waits for the exit; its status.
        @discardableResult
        func stop(_ signal: Int32 = SIGTERM) -> Int32 {
            kill(pid, signal)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            return status
        }

        struct Answer {
            var status: Int
            var body: String
            var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
            var object: [String: Any] { json as? [String: Any] ?? [:] }
        }

        /// One request through curl on the daemon's socket.
        func curl(_ arguments: [String], method: String = "GET", body: String? = nil) throws -> Answer {
            var argv = [
                "/usr/bin/curl", "-s", "--max-time", "300", "--unix-socket", socket, "-X", method, "-w",
                "\n%{http_code}",
            ]
            if let body {
                let file = node.folder.write("body-\(UUID().uuidString)", body)
                argv += ["-H", "Content-Type: application/json", "--data-binary", "@" + file]
            }
            argv.append("http://taphouse" + arguments[0])
            let output = try BlockingCommand.run(argv + arguments.dropFirst(), timeout: .seconds(320))
            let text = output.standardOutput
            let split = text.lastIndex(of: "\n") ?? text.startIndex
            let answer = Answer(status: Int(text[split...].dropFirst()) ?? 0, body: String(text[..<split]))
            // Status 0: curl could not connect (the daemon is starting, or was killed): no answer.
            if answer.status > 0 { answers.withLock { $0.append((method, arguments[0], answer)) } }
            return answer
        }

        /// Expects every answer so far to be as the daemon's OpenAPI document describes it.
        func expectDocumented(sourceLocation: SourceLocation = #_sourceLocation) throws {
            let problems = try undocumented()
            #expect(problems.isEmpty, "\(problems)", sourceLocation: sourceLocation)
        }

        /// What of the answers so far the daemon's OpenAPI document does not describe.
        func undocumented() throws -> [String] {
            let document = try #require(try curl(["/v1/openapi.json"]).json as? [String: Any])
            let validator = OpenAPIValidator(document: document)
            return answers.withLock { $0 }.flatMap { method, path, answer in
                validator.problems(
                    method: method, path: validator.template(for: path), status: answer.status, body: answer.body)
            }
        }
    }

    /// A site bridged hook that does the built-in's work, leaves a mark (the returned path) and
    /// then waits `seconds`: an operation caught in the middle of its NIC's up.
    static func slowHook(_ node: InstanceLifecycleTests.Node, seconds: Int) throws -> String {
        let marker = node.folder.path + "/hook-ran"
        try FileManager.default.createDirectory(atPath: node.site + "/network", withIntermediateDirectories: true)
        try """
        local base = require "taphouse.builtin.network.bridged"
        local exec = require "taphouse.exec"
        return {
          up = function(nic)
            base.up(nic)
            exec.run({ "/usr/bin/touch", "\(marker)" })
            exec.run({ "/bin/sleep", "\(seconds)" }, { timeout_ms = 60000 })
          end,
        }
        """.write(toFile: node.site + "/network/bridged.lua", atomically: true, encoding: .utf8)
        return marker
    }

    /// Whether `pid` runs: a zombie (ended, not yet reaped by whoever inherited it) does not.
    static func runs(_ pid: pid_t) -> Bool {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    @Test func routesAnswerAsTheDocumentSaysAndErrorsAreProblems() throws {
        let node = try InstanceLifecycleTests.Node()
        let daemon = try Daemon(node)
        let nodeAnswer = try daemon.curl(["/v1/node"])
        #expect(nodeAnswer.object["state_directory"] as? String == node.state)
        #expect(try daemon.curl(["/v1/instances"]).body == "[]")
        // The socket is the owner's only.
        var info = stat()
        stat(daemon.socket, &info)
        #expect(info.st_mode & 0o777 == 0o600)

        let missing = try daemon.curl(["/v1/instances/nosuch"])
        #expect(missing.status == 404)
        #expect(missing.object["code"] as? String == "not-found")
        #expect(missing.object["instance_name"] as? String == "nosuch")
        let badSpec = try daemon.curl(["/v1/instances"], method: "POST", body: #"{"name": "web1"}"#)
        #expect(badSpec.status == 400)
        #expect(badSpec.object["code"] as? String == "invalid-spec")
        #expect((badSpec.object["detail"] as? String)?.contains("uuid") == true, "\(badSpec.body)")
        let huge = try daemon.curl(
            ["/v1/instances"], method: "POST", body: "[" + String(repeating: "0,", count: 600_000) + "0]")
        #expect(huge.status == 413)
        #expect(huge.object["code"] as? String == "too-large")

        // Every route the daemon answers is in the document it serves.
        let document = try daemon.curl(["/v1/openapi.json"]).object
        let paths = try #require(document["paths"] as? [String: Any])
        for path in [
            "/v1/node", "/v1/instances", "/v1/instances/{name}", "/v1/instances/{name}/stop",
            "/v1/instances/{name}/reboot", "/v1/instances/{name}/cleanup", "/v1/instances/{name}/console",
            "/v1/events", "/metrics", "/v1/openapi.json",
        ] {
            #expect(paths[path] != nil, "\(path) is not in the document")
        }
        #expect(try daemon.curl(["/metrics"]).body.contains("http_server_request_duration"))

        // A second daemon on the same state directory is refused before it takes the socket.
        let second = try TaphouseBinary.run(["serve", "--state-dir", node.state, "--hooks-dir", node.site])
        #expect(second.status != 0)
        #expect(second.error.contains("another taphouse serve holds \(node.state)/serve.lock"), "\(second.error)")
        #expect(try daemon.curl(["/v1/node"]).status == 200)

        try daemon.expectDocumented()
        #expect(daemon.stop() == 0, "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
    }

    /// A real guest started through the API powers itself off; the daemon sees it (qemu's
    /// SHUTDOWN with its reason), takes its NICs down, removes its files and keeps it listed as
    /// stopped with the reason. A second guest's qemu is killed: stopped, reason crashed.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func aGuestThatPowersOffAndAQemuKilledAreSeenAndCleanedUp() throws {
        let node = try InstanceLifecycleTests.Node()
        let before = try node.snapshot()
        let daemon = try Daemon(node)
        let events = node.folder.path + "/events"
        let fd = open(events, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        let listener = try ProcessSpawn.spawn(
            ["/usr/bin/curl", "-s", "-N", "--unix-socket", daemon.socket, "http://taphouse/v1/events"],
            ProcessSpawn.Options(standardOutput: fd))
        close(fd)
        defer {
            kill(listener, SIGKILL)
            waitpid(listener, nil, 0)
        }
        func waitFor(_ text: String, seconds: Int = 120) -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains(text) { return true }
                usleep(50_000)
            }
            return false
        }

        let off = try node.spec(
            name: "off1", nics: [(mode: "bridged", link: "br0", ip: nil)],
            extra: ["kernel_args": "guest.shell=1 guest.poweroff=1"], guestIP: "", gateway: "")
        let started = try daemon.curl(
            ["/v1/instances?reason=test"], method: "POST", body: try String(contentsOfFile: off, encoding: .utf8))
        #expect(started.status == 201, "\(started.body)\n\(daemon.log)")
        #expect(started.object["state"] as? String == "running")
        #expect(waitFor(#""instance":"off1","kind":"instance-state","#))
        #expect(waitFor(#""reason":"guest-shutdown","state":"stopped""#), "\(daemon.log)")
        let stopped = try daemon.curl(["/v1/instances/off1"]).object
        #expect(stopped["state"] as? String == "stopped")
        #expect(stopped["reason"] as? String == "guest-shutdown")
        #expect(!FileManager.default.fileExists(atPath: node.state + "/conf/off1.runtime"))
        // The CLI reads the same: listed as stopped with why, until cleaned up.
        #expect(try node.taphouse(["instance", "list"]).output == "off1\tstopped\t-\tguest-shutdown\n")

        let crash = try node.spec(
            name: "crash1", nics: [(mode: "bridged", link: "br0", ip: nil)], extra: ["kernel_args": "guest.shell=1"],
            guestIP: "", gateway: "")
        let second = try daemon.curl(
            ["/v1/instances?paused=true"], method: "POST", body: try String(contentsOfFile: crash, encoding: .utf8))
        #expect(second.status == 201, "\(second.body)")
        #expect(second.object["state"] as? String == "paused")
        try node.killQemu("crash1")
        #expect(
            waitFor(#""instance":"crash1","kind":"instance-state","reason":"crashed","state":"stopped""#),
            "\(daemon.log)")
        #expect(try daemon.curl(["/v1/instances/crash1"]).object["reason"] as? String == "crashed")

        for name in ["off1", "crash1"] {
            #expect(try daemon.curl(["/v1/instances/\(name)/cleanup"], method: "POST").status == 200)
        }
        #expect(try daemon.curl(["/v1/instances"]).body == "[]")
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
        try node.expectUnchanged(since: before)
    }

    /// The daemon stops on SIGTERM leaving the guest running, and a new daemon adopts it; one
    /// killed with SIGKILL does the same.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func aRestartedDaemonAdoptsTheRunningGuest() throws {
        let node = try InstanceLifecycleTests.Node()
        let before = try node.snapshot()
        let daemon = try Daemon(node)
        let spec = try node.spec(
            name: "kept1", nics: [(mode: "bridged", link: "br0", ip: nil)], extra: ["kernel_args": "guest.shell=1"],
            guestIP: "", gateway: "")
        let started = try daemon.curl(
            ["/v1/instances?paused=true"], method: "POST", body: try String(contentsOfFile: spec, encoding: .utf8))
        #expect(started.status == 201, "\(started.body)")
        let pid = try #require(started.object["pid"] as? Int)
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
        #expect(Self.runs(pid_t(pid)), "the guest's qemu went with the daemon")
        try daemon.start()
        #expect(try daemon.curl(["/v1/instances/kept1"]).object["state"] as? String == "paused")
        daemon.stop(SIGKILL)
        #expect(Self.runs(pid_t(pid)))
        try daemon.start()
        let adopted = try daemon.curl(["/v1/instances/kept1"]).object
        #expect(adopted["state"] as? String == "paused")
        #expect(adopted["pid"] as? Int == pid)
        #expect(try daemon.curl(["/v1/instances/kept1/stop"], method: "POST", body: #"{"timeout": 1}"#).status == 200)
        #expect(try daemon.curl(["/v1/instances"]).body == "[]")
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
        try node.expectUnchanged(since: before)
    }

    /// The daemon killed with SIGKILL in the middle of a start (while a NIC's up hook runs, after
    /// its first change): after a restart nothing of the instance is left, its qemu included.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func aDaemonKilledMidStartLeavesNothingAfterItsRestart() throws {
        let node = try InstanceLifecycleTests.Node()
        let marker = try Self.slowHook(node, seconds: 30)
        let before = try node.snapshot()
        let daemon = try Daemon(node)
        let spec = try node.spec(
            name: "cut1", nics: [(mode: "bridged", link: "br0", ip: nil)], extra: ["kernel_args": "guest.shell=1"],
            guestIP: "", gateway: "")
        let body = try String(contentsOfFile: spec, encoding: .utf8)
        let client = Thread { _ = try? daemon.curl(["/v1/instances"], method: "POST", body: body) }
        client.start()
        let deadline = ContinuousClock.now + .seconds(120)
        // The hook runs while qemu initialises: qemu's pid file may come a moment after it.
        while !FileManager.default.fileExists(atPath: marker)
            || !FileManager.default.fileExists(atPath: node.state + "/pid/cut1")
        {
            try #require(ContinuousClock.now < deadline, "the up hook never ran: \(daemon.log)")
            usleep(20_000)
        }
        // The tap is in the bridge and qemu waits with its CPUs stopped: half a start.
        #expect(try node.ns.ip(["-o", "link", "show", "master", "br0"]).contains("tap"))
        let qemu = try String(contentsOfFile: node.state + "/pid/cut1", encoding: .utf8)
        daemon.stop(SIGKILL)
        try daemon.start()
        #expect(try daemon.curl(["/v1/instances"]).body == "[]", "\(daemon.log)")
        if let pid = pid_t(qemu.trimmingCharacters(in: .whitespacesAndNewlines)) {
            #expect(!Self.runs(pid), "qemu \(pid) of the cut start still runs")
        }
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
        try node.expectUnchanged(since: before)
    }

    /// A site hook edited while its instance runs: a broken version is refused (an event, and
    /// `GET /v1/hooks` says why) and the old one keeps serving new starts; a good one serves from
    /// then on; the running instance's NIC goes down with the version that brought it up.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func anEditedHookIsCheckedFirstAndABrokenOneRefused() throws {
        let node = try InstanceLifecycleTests.Node()
        let marks = node.folder.path + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        func hook(_ version: String) -> String {
            """
            local base = require "taphouse.builtin.network.bridged"
            local exec = require "taphouse.exec"
            return {
              up = function(nic) base.up(nic) end,
              down = function(nic) exec.run({ "/usr/bin/touch", "\(marks)/down-\(version)-" .. nic.INSTANCE }) end,
            }
            """
        }
        let hookPath = node.site + "/network/bridged.lua"
        try FileManager.default.createDirectory(atPath: node.site + "/network", withIntermediateDirectories: true)
        try hook("v1").write(toFile: hookPath, atomically: true, encoding: .utf8)
        let daemon = try Daemon(node)
        func served() throws -> [String: Any] {
            let all = try daemon.curl(["/v1/hooks"]).json as? [[String: Any]] ?? []
            return all.first { $0["file"] as? String == "network/bridged.lua" } ?? [:]
        }
        let v1 = try served()
        #expect(v1["source"] as? String == "site")
        func start(_ name: String) throws -> Int {
            let spec = try node.spec(
                name: name, nics: [(mode: "bridged", link: "br0", ip: nil)], extra: ["kernel_args": "guest.shell=1"],
                guestIP: "", gateway: "")
            return try daemon.curl(
                ["/v1/instances?paused=true"], method: "POST", body: try String(contentsOfFile: spec, encoding: .utf8)
            ).status
        }
        #expect(try start("edit1") == 201)

        // A broken version: refused, and the old one serves the next start.
        try "return { up = function(nic) end".write(toFile: hookPath, atomically: true, encoding: .utf8)
        let deadline = ContinuousClock.now + .seconds(60)
        var refused = try served()
        while refused["error"] == nil {
            try #require(ContinuousClock.now < deadline, "the broken hook was never refused: \(daemon.log)")
            usleep(50_000)
            refused = try served()
        }
        #expect(refused["version"] as? String == v1["version"] as? String)
        #expect((refused["error"] as? String)?.contains("\(hookPath):1:") == true, "\(refused)")
        #expect(try start("edit2") == 201)
        let journal = try String(contentsOfFile: node.state + "/journal/edit2/0", encoding: .utf8)
        #expect(journal.contains(v1["version"] as? String ?? "?"))

        // A good version serves from then on; edit1's NIC goes down with v1, its own version.
        try hook("v2").write(toFile: hookPath, atomically: true, encoding: .utf8)
        var v2 = try served()
        while v2["version"] as? String == v1["version"] as? String || v2["error"] != nil {
            try #require(ContinuousClock.now < deadline, "the good hook never served: \(daemon.log)")
            usleep(50_000)
            v2 = try served()
        }
        for name in ["edit1", "edit2"] {
            #expect(
                try daemon.curl(["/v1/instances/\(name)/stop"], method: "POST", body: #"{"timeout": 1}"#).status == 200)
            #expect(FileManager.default.fileExists(atPath: marks + "/down-v1-" + name))
            #expect(!FileManager.default.fileExists(atPath: marks + "/down-v2-" + name))
        }
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
    }

    /// With a daemon on the state directory the CLI's verbs go through it (it logs each
    /// operation), with the same output and exit status as in-process.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func theCLIGoesThroughARunningDaemonWithTheSameOutput() throws {
        let node = try InstanceLifecycleTests.Node()
        let spec = try node.spec(
            name: "cli1", nics: [(mode: "bridged", link: "br0", ip: nil)], extra: ["kernel_args": "guest.shell=1"],
            guestIP: "", gateway: "")
        func verbs() throws -> [TaphouseBinary.Result] {
            let start = try node.taphouse(["instance", "start", "--spec", spec, "--paused"])
            let list = try node.taphouse(["instance", "list"])
            let info = try node.taphouse(["instance", "info", "cli1"])
            let stop = try node.taphouse(["instance", "stop", "cli1", "--timeout", "1"])
            let missing = try node.taphouse(["instance", "info", "nosuch"])
            return [start, list, info, stop, missing]
        }
        // What each prints, the pid and the tap (which differ from run to run) left out, and the
        // log's warnings, which go to the daemon's log when it did the work.
        func shown(_ results: [TaphouseBinary.Result]) -> [String] {
            results.map { result in
                let said = (result.output + result.error).split(separator: "\n", omittingEmptySubsequences: false)
                    .filter { !$0.contains(" warning taphouse: ") }.joined(separator: "\n")
                return "\(result.status)|"
                    + said.replacingOccurrences(
                        of: #"(pid\t|running\t|paused\t)\d+|tap\d+"#, with: "$1N", options: .regularExpression)
            }
        }
        let local = shown(try verbs())
        let daemon = try Daemon(node)
        let through = shown(try verbs())
        #expect(through == local)
        #expect(local[4].hasPrefix("1|info nosuch: reading the runtime: no such instance"), "\(local[4])")
        #expect(daemon.log.contains("instance=cli1 operation=start"), "\(daemon.log)")
        #expect(daemon.log.contains("instance=cli1 operation=stop"))
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
    }

    /// An operation on an instance while another runs on it is refused (409, busy), and the
    /// instance stays watched: the first one ends as it would have.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func anOperationOnABusyInstanceIsRefused() throws {
        let node = try InstanceLifecycleTests.Node()
        let marker = try Self.slowHook(node, seconds: 3)
        let daemon = try Daemon(node)
        let spec = try node.spec(
            name: "busy1", nics: [(mode: "bridged", link: "br0", ip: nil)], extra: ["kernel_args": "guest.shell=1"],
            guestIP: "", gateway: "")
        let body = try String(contentsOfFile: spec, encoding: .utf8)
        let started = Mutex<Int?>(nil)
        let client = Thread {
            let status = try? daemon.curl(["/v1/instances?paused=true"], method: "POST", body: body).status
            started.withLock { $0 = status }
        }
        client.start()
        let deadline = ContinuousClock.now + .seconds(120)
        while !FileManager.default.fileExists(atPath: marker) {
            try #require(ContinuousClock.now < deadline, "the up hook never ran: \(daemon.log)")
            usleep(20_000)
        }
        let refused = try daemon.curl(["/v1/instances/busy1/stop"], method: "POST", body: #"{"timeout": 1}"#)
        #expect(refused.status == 409)
        #expect(refused.object["code"] as? String == "busy")
        #expect((refused.object["detail"] as? String)?.contains("start is running on it") == true, "\(refused.body)")
        while started.withLock({ $0 }) == nil {
            try #require(ContinuousClock.now < deadline, "the start never answered")
            usleep(20_000)
        }
        #expect(started.withLock { $0 } == 201)
        #expect(try daemon.curl(["/v1/instances/busy1"]).object["state"] as? String == "paused")
        #expect(try daemon.curl(["/v1/instances/busy1/stop"], method: "POST", body: #"{"timeout": 1}"#).status == 200)
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
    }
}

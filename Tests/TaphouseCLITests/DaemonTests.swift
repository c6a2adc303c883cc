import Foundation
import HostNet
import QMP
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

        /// `serve`'s options besides the state and hooks folders.
        let options: [String]
        /// The daemon's environment (a fixed PATH when nil); the fault matrix names a fault here.
        var environment: [String]?
        /// The taphouse binary run.
        let binary: String

        init(
            _ node: InstanceLifecycleTests.Node, options: [String] = [], environment: [String]? = nil,
            binary: String = TaphouseBinary.path
        ) throws {
            self.node = node
            self.options = options
            self.environment = environment
            self.binary = binary
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
                    NetworkNamespace.ipPath, "netns", "exec", node.ns.name, binary, "serve", "--state-dir",
                    node.state, "--hooks-dir", node.site,
                ] + options,
                ProcessSpawn.Options(environment: environment, standardOutput: fd, standardError: fd))
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
            /// The `Allow` header, where there was one.
            var allow = ""
            var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
            var object: [String: Any] { json as? [String: Any] ?? [:] }
        }

        /// One request through curl on the daemon's socket. `documented`: the request is one the
        /// OpenAPI document describes (a route that is not there is answered, but not by it).
        func curl(
            _ arguments: [String], method: String = "GET", body: String? = nil, headers: [String] = [],
            documented: Bool = true
        ) throws -> Answer {
            var argv = [
                "/usr/bin/curl", "-s", "--max-time", "300", "--unix-socket", socket, "-X", method, "-w",
                "\n%header{allow}\n%{http_code}",
            ]
            for header in headers { argv += ["-H", header] }
            if let body {
                let file = node.folder.write("body-\(UUID().uuidString)", body)
                argv += ["-H", "Content-Type: application/json", "--data-binary", "@" + file]
            }
            argv.append("http://taphouse" + arguments[0])
            let output = try BlockingCommand.run(argv + arguments.dropFirst(), timeout: .seconds(320))
            var text = Substring(output.standardOutput)
            func last() -> Substring {
                let split = text.lastIndex(of: "\n") ?? text.startIndex
                defer { text = text[..<split] }
                return text[split...].dropFirst()
            }
            let status = Int(last()) ?? 0
            let allow = String(last())
            let answer = Answer(status: status, body: String(text), allow: allow)
            // Status 0: curl could not connect (the daemon is starting, or was killed): no answer.
            if answer.status > 0, documented { answers.withLock { $0.append((method, arguments[0], answer)) } }
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
        let daemon = try Daemon(node, options: ["--log-format", "json"])
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
        // What no route takes is a problem too: a path that is none a 404, a method a path does
        // not take a 405 that says which it does.
        let nowhere = try daemon.curl(["/v1/nothing-here"], documented: false)
        #expect(nowhere.status == 404)
        #expect(nowhere.object["code"] as? String == "not-found", "\(nowhere.body)")
        let wrongMethod = try daemon.curl(["/v1/instances/web1/stop"], method: "DELETE", documented: false)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.allow == "POST", "\(wrongMethod)")
        #expect(wrongMethod.object["code"] as? String == "method-not-allowed", "\(wrongMethod.body)")
        #expect(try daemon.curl(["/v1/instances"], method: "PUT", documented: false).allow == "GET, POST")
        // A yes-or-no parameter is one or the other.
        let vague = try daemon.curl(["/v1/instances/nosuch/cleanup?async=yes"], method: "POST")
        #expect(vague.status == 400)
        #expect((vague.object["detail"] as? String)?.contains("async: yes") == true, "\(vague.body)")
        #expect(try daemon.curl(["/v1/operations/nosuch?wait=301"]).status == 400)
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
            "/v1/events", "/metrics", "/v1/openapi.json", "/v1/node/verify", "/v1/plan", "/v1/operations",
            "/v1/operations/{id}",
        ] {
            #expect(paths[path] != nil, "\(path) is not in the document")
        }
        #expect(try daemon.curl(["/metrics"]).body.contains("http_server_request_duration"))

        // The node's checks, and a plan of a spec, which starts nothing.
        let verify = try daemon.curl(["/v1/node/verify"])
        #expect(verify.status == 200)
        // One field for a health check, as `taphouse node verify --json` prints.
        #expect(verify.object["ok"] as? Bool == true, "\(verify.body)")
        let checks = verify.object["checks"] as? [[String: Any]] ?? []
        #expect(checks.contains { $0["kind"] as? String == "qemu" && $0["ok"] as? Bool == true }, "\(verify.body)")
        #expect(checks.contains { $0["kind"] as? String == "hook" && $0["ok"] as? Bool == true }, "\(verify.body)")
        #expect(try daemon.curl(["/v1/node/verify?qemu=/bin/sh"]).status == 400)
        if TestGuest.isAvailable {
            let spec = try node.spec(
                name: "planned1", nics: [(mode: "bridged", link: "br0", ip: nil)], guestIP: "", gateway: "")
            let plan = try daemon.curl(
                ["/v1/plan"], method: "POST", body: try String(contentsOfFile: spec, encoding: .utf8))
            #expect(plan.status == 200, "\(plan.body)")
            #expect((plan.object["argv"] as? [String])?.contains("-no-shutdown") == true)
            #expect((plan.object["nics"] as? [Any])?.count == 1)
            #expect(try daemon.curl(["/v1/instances"]).body == "[]")
        }
        #expect(try daemon.curl(["/v1/plan"], method: "POST", body: #"{"name": "x"}"#).status == 400)

        // An operation in the background: 202 at once, followed until its end. The request id a
        // client gives is on the log lines of what it caused.
        let accepted = try daemon.curl(
            ["/v1/instances/nosuch/cleanup?async=true"], method: "POST", body: #"{"reason": "test trail"}"#,
            headers: ["X-Request-ID: trail-42"])
        #expect(accepted.status == 202, "\(accepted.body)")
        let id = try #require(accepted.object["id"] as? String)
        let followed = try daemon.curl(["/v1/operations/\(id)?wait=30"]).object
        #expect(followed["status"] as? String == "failed", "\(followed)")
        #expect(followed["http_status"] as? Int == 404)
        #expect(followed["reason"] as? String == "test trail")
        #expect((followed["problem"] as? [String: Any])?["code"] as? String == "not-found")
        #expect(try daemon.curl(["/v1/operations"]).json as? [Any] != nil)
        #expect(try daemon.curl(["/v1/operations/nosuch"]).status == 404)
        // Refusals on a name no instance has leave nothing of it: no lock file, no session to
        // watch, no warning that it is not watched.
        #expect(try daemon.curl(["/v1/instances/nosuch/stop"], method: "POST").status == 404)
        #expect(
            try daemon.curl(["/v1/instances/nosuch/finalize"], method: "POST", body: #"{"success": false}"#).status
                == 200)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: node.state + "/lock")) ?? [] == [])
        #expect(!daemon.log.contains("not watched"), "\(daemon.log)")
        let traced = daemon.log.split(separator: "\n").filter { $0.contains(#""request":"trail-42""#) }
        #expect(
            traced.contains { $0.contains(#""instance":"nosuch""#) && $0.contains(#""reason":"test trail""#) },
            "\(daemon.log)")

        // A second daemon on the same state directory is refused before it takes the socket.
        let second = try TaphouseBinary.run(["serve", "--state-dir", node.state, "--hooks-dir", node.site])
        #expect(second.status != 0)
        #expect(second.error.contains("another taphouse serve holds \(node.state)/serve.lock"), "\(second.error)")
        #expect(try daemon.curl(["/v1/node"]).status == 200)

        try daemon.expectDocumented()
        #expect(daemon.stop() == 0, "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socket))
    }

    /// TCP is served only with TLS and a bearer token; every request without the token (or
    /// with another) gets 401, and the Unix socket serves on beside it.
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs openssl (apt install openssl)")
    )
    func aTCPListenerNeedsTLSAndItsToken() throws {
        let node = try InstanceLifecycleTests.Node()
        let folder = node.folder.path
        let address = "127.0.0.1:8443"
        let serve = ["serve", "--state-dir", node.state, "--hooks-dir", node.site, "--listen", address]
        let plain = try TaphouseBinary.run(serve)
        #expect(plain.status != 0)
        #expect(plain.error.contains("--listen \(address): TCP needs TLS and a bearer token"), "\(plain.error)")

        _ = try BlockingCommand.run(
            [
                "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem", "-days", "1", "-subj",
                "/CN=taphouse", "-addext", "subjectAltName=IP:127.0.0.1",
            ], timeout: .seconds(30))
        let token = "s3cret-token-for-the-test"
        let tokenFile = node.folder.write("token", token + "\n")
        let tls = ["--tls-cert", folder + "/cert.pem", "--tls-key", folder + "/key.pem", "--token-file", tokenFile]
        chmod(tokenFile, 0o644)
        let readable = try TaphouseBinary.run(serve + tls)
        #expect(readable.status != 0)
        #expect(readable.error.contains("--token-file \(tokenFile): mode 644 lets others read it"), "\(readable.error)")
        chmod(tokenFile, 0o600)
        let badKey = try TaphouseBinary.run(
            serve + ["--tls-cert", folder + "/cert.pem", "--tls-key", tokenFile, "--token-file", tokenFile])
        #expect(badKey.status != 0)
        #expect(badKey.error.contains("--tls-key \(tokenFile)"), "\(badKey.error)")

        let daemon = try Daemon(node, options: ["--listen", address] + tls)
        func https(_ headers: [String]) throws -> (Int, String) {
            var argv = [
                NetworkNamespace.ipPath, "netns", "exec", node.ns.name, "/usr/bin/curl", "-s", "--max-time", "30",
                "--cacert", folder + "/cert.pem", "-w", "\n%{http_code}",
            ]
            for header in headers { argv += ["-H", header] }
            let text = try BlockingCommand.run(argv + ["https://\(address)/v1/instances"], timeout: .seconds(40))
                .standardOutput
            let split = text.lastIndex(of: "\n") ?? text.startIndex
            return (Int(text[split...].dropFirst()) ?? 0, String(text[..<split]))
        }
        let (none, problem) = try https([])
        #expect(none == 401)
        #expect(problem.contains(#""code":"unauthorized""#), "\(problem)")
        #expect(try https(["Authorization: Bearer not-the-token-at-all"]).0 == 401)
        #expect(try https(["Authorization: Basic \(token)"]).0 == 401)
        let (ok, body) = try https(["Authorization: Bearer \(token)"])
        #expect(ok == 200)
        #expect(body == "[]")
        #expect(try daemon.curl(["/v1/instances"]).status == 200)
        #expect(daemon.stop() == 0, "\(daemon.log)")
    }

    /// A real guest started through the API powers itself off; the daemon sees it (qemu's
    /// SHUTDOWN with its reason), takes its NICs down, removes its files and keeps it listed as
    /// stopped with the reason. A second guest's qemu is killed: stopped, reason crashed.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func aGuestThatPowersOffAndAQemuKilledAreSeenAndCleanedUp() throws {
        let node = try InstanceLifecycleTests.Node()
        let before = try node.snapshot()
        // The site's lifecycle hook is told why each one stopped.
        let marks = node.folder.path + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        node.folder.write(
            "site/instance.lua",
            """
            local exec = require "taphouse.exec"
            return { post_stop = function(instance)
              exec.run({ "/usr/bin/touch", "\(marks)/" .. instance.name .. "-" .. instance.reason })
            end }
            """)
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
        // Its info comes over the held session: a QMP round trip, measured.
        #expect(try daemon.curl(["/v1/instances/crash1"]).object["vcpus"] as? Int == 1)
        try node.killQemu("crash1")
        #expect(
            waitFor(#""instance":"crash1","kind":"instance-state","reason":"crashed","state":"stopped""#),
            "\(daemon.log)")
        #expect(try daemon.curl(["/v1/instances/crash1"]).object["reason"] as? String == "crashed")
        #expect(
            LifecycleHookTests.marks(marks) == ["crash1-crashed", "off1-guest-shutdown"], "\(daemon.log)")

        // Each NIC hook call is an event, with its file and version, and in the metrics.
        let hookEvents = ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains(#""kind":"hook""#) }
        #expect(
            hookEvents.contains {
                $0.contains(#""instance":"off1""#) && $0.contains(#""action":"up""#)
                    && $0.contains(#""mode":"bridged""#)
                    && $0.contains(#""version":""#) && $0.contains(#""file":""#)
            }, "\(hookEvents)")
        #expect(hookEvents.contains { $0.contains(#""instance":"off1""#) && $0.contains(#""action":"down""#) })
        let metrics = try daemon.curl(["/metrics"]).body
        for series in [
            #"taphouse_hook_duration_seconds_count{mode="bridged",action="up"}"#,
            #"taphouse_instances{state="stopped"} 2"#, #"taphouse_instances{state="running"} 0"#,
            #"taphouse_qmp_round_trip_seconds_count{command="query-cpus-fast"}"#,
            #"taphouse_operations_total{kind="start",outcome="ok"} 2"#,
        ] {
            #expect(metrics.contains(series), "\(series) not in:\n\(metrics)")
        }
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
        // A refused operation leaves it as it was: paused, and watched.
        let refused = try daemon.curl(["/v1/instances/kept1/finalize"], method: "POST", body: #"{"success": false}"#)
        #expect(refused.status == 409, "\(refused.body)")
        let after = try daemon.curl(["/v1/instances/kept1"]).object
        #expect(after["state"] as? String == "paused", "\(after)")
        #expect(after["problem"] == nil, "\(after)")
        #expect(try daemon.curl(["/v1/instances/kept1/stop"], method: "POST", body: #"{"timeout": 1}"#).status == 200)
        #expect(try daemon.curl(["/v1/instances"]).body == "[]")
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0)
        try node.expectUnchanged(since: before)
    }

    /// A qemu that misbehaves on both its sockets (the stand-in, serving the `.qmp` socket and
    /// the `.events` one the supervisor holds) is adopted at the daemon's start; it costs only
    /// its own supervisor: the daemon serves, lists and describes the instance (saying what qemu
    /// did not answer), and stops it; the flood is counted and warned of once.
    @Test(arguments: MisbehavingQemuTests.misbehaviours + ["polite"])
    func aMisbehavingQemuCostsOnlyItsOwnSupervisor(_ behaviour: String) throws {
        let node = try InstanceLifecycleTests.Node()
        for sub in ["conf", "pid", "ctrl"] {
            try FileManager.default.createDirectory(atPath: node.state + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(
            atPath: Repository.path + "/Tests/QEMUTests/Fixtures/ganeti-kvm_runtime.json",
            toPath: node.state + "/conf/web1.runtime")
        let standIn = try ProcessSpawn.spawn(
            [
                (TaphouseBinary.path as NSString).deletingLastPathComponent + "/qmp-standin", "-pidfile",
                node.state + "/pid/web1", node.state + "/ctrl/web1.qmp", behaviour, "--events-socket",
                node.state + "/ctrl/web1.events",
            ], ProcessSpawn.Options())
        defer {
            kill(standIn, SIGKILL)
            waitpid(standIn, nil, 0)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !FileManager.default.fileExists(atPath: node.state + "/ctrl/web1.events") {
            try #require(ContinuousClock.now < deadline, "qmp-standin never listened")
            usleep(10_000)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let daemon = try Daemon(node)
        print("\(behaviour): the daemon served after \(clock.now - started)")
        let listed = try daemon.curl(["/v1/instances"])
        #expect(listed.status == 200)
        #expect(listed.body.contains(#""name":"web1""#), "\(listed.body)\n\(daemon.log)")
        let before = clock.now
        var info = try daemon.curl(["/v1/instances/web1"])
        print("\(behaviour): GET /v1/instances/web1 took \(clock.now - before)")
        // A session that broke is seen a moment after (qemu is given time to exit first).
        let seen = ContinuousClock.now + .seconds(15)
        while behaviour != "polite", info.object["problem"] == nil, ContinuousClock.now < seen {
            usleep(100_000)
            info = try daemon.curl(["/v1/instances/web1"])
        }
        #expect(info.status == 200, "\(info.body)")
        #expect(info.object["state"] as? String == "running", "\(info.body)")
        #expect((info.object["problem"] != nil) == (behaviour != "polite"), "\(info.body)")
        if behaviour == "flood" {
            #expect(daemon.log.contains("faster than"), "\(daemon.log)")
            #expect(daemon.log.components(separatedBy: "faster than").count <= 3, "warned more than once a socket")
        }
        let stop = try daemon.curl(["/v1/instances/web1/stop"], method: "POST", body: #"{"timeout": 2}"#)
        #expect(stop.status == 200, "\(stop.body)")
        #expect(!Self.runs(standIn))
        #expect(try daemon.curl(["/v1/instances"]).body == "[]")
        try daemon.expectDocumented()
        #expect(daemon.stop() == 0, "\(daemon.log)")
    }

    /// A guest that powers itself off while no daemon runs: qemu waits (-no-shutdown), so the
    /// next daemon tells it from a crash: stopped, reason guest-shutdown, qemu ended, NICs down.
    @Test(.enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
    func aGuestThatPowersOffWhileNoDaemonRunsIsNoCrashAfterItsRestart() throws {
        let node = try InstanceLifecycleTests.Node()
        let before = try node.snapshot()
        let daemon = try Daemon(node)
        let spec = try node.spec(
            name: "off2", nics: [(mode: "bridged", link: "br0", ip: nil)],
            extra: ["kernel_args": "guest.shell=1 guest.poweroff=1"], guestIP: "", gateway: "")
        let started = try daemon.curl(
            ["/v1/instances?paused=true"], method: "POST", body: try String(contentsOfFile: spec, encoding: .utf8))
        #expect(started.status == 201, "\(started.body)")
        let pid = try #require(started.object["pid"] as? Int)
        #expect(daemon.stop() == 0)
        // With no daemon, the guest runs and powers itself off; qemu waits.
        let qmp = try QMPConnection.connect(path: node.state + "/ctrl/off2.qmp", timeout: .seconds(10))
        _ = try qmp.execute("cont", timeout: .seconds(10))
        let deadline = ContinuousClock.now + .seconds(120)
        while case .object(let status) = try qmp.execute("query-status", timeout: .seconds(10)),
            status["status"] != .string("shutdown")
        {
            try #require(ContinuousClock.now < deadline, "the guest never powered off")
            usleep(100_000)
        }
        qmp.close()
        #expect(Self.runs(pid_t(pid)))
        try daemon.start()
        let after = try daemon.curl(["/v1/instances/off2"]).object
        #expect(after["state"] as? String == "stopped", "\(after)\n\(daemon.log)")
        #expect(after["reason"] as? String == "guest-shutdown")
        #expect(!Self.runs(pid_t(pid)), "the waiting qemu was not ended")
        #expect(try daemon.curl(["/v1/instances/off2/cleanup"], method: "POST").status == 200)
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
    /// then on, as do the hooks of a folder moved in whole; a daemon restarted over a broken
    /// version refuses it too; the running instance's NIC goes down with the version that
    /// brought it up.
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

        // A daemon restarted over a broken version on disk refuses it, and v2, which served
        // before the restart, serves on.
        #expect(daemon.stop() == 0)
        try "return { up = function(nic) end".write(toFile: hookPath, atomically: true, encoding: .utf8)
        try daemon.start()
        let kept = try served()
        #expect(kept["version"] as? String == v2["version"] as? String, "\(kept)")
        #expect(kept["refused_version"] as? String != nil, "\(kept)")

        // A network folder staged elsewhere and moved in whole, as a deployment tool does: the
        // hooks in it serve.
        let staged = node.folder.path + "/network.staged"
        try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: true)
        try hook("v3").write(toFile: staged + "/bridged.lua", atomically: true, encoding: .utf8)
        #expect(rename(node.site + "/network", node.folder.path + "/network.old") == 0)
        #expect(rename(staged, node.site + "/network") == 0)
        var v3 = try served()
        // Between the folder moved out and the new one moved in, the built-in hook serves for
        // a moment: waited past.
        while v3["version"] as? String == v2["version"] as? String || v3["refused_version"] != nil
            || v3["source"] as? String != "site"
        {
            try #require(ContinuousClock.now < deadline, "the moved-in folder's hook never served: \(daemon.log)")
            usleep(50_000)
            v3 = try served()
        }
        #expect(v3["source"] as? String == "site")
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

import Foundation
import HostNet
import TestSupport
import Testing

/// Live migration between two nodes on one machine: two namespaces with a bridge each, joined by
/// a veth (the guest's L2 segment spans both), a migration link between them (10.98.0.1 and
/// .2), and a third namespace (the client, 10.99.0.1, the guest's gateway) pinging the guest
/// every 10 ms. A real guest moves live, offline and with postcopy, bridged and routed, and back;
/// the failure paths leave the node that lost the guest as it was before it ever had it.
@Suite(
    "Migration between two nodes",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"),
    .enabled(if: TestGuest.isAvailable, "needs the test guest: \(TestGuest.unavailableReason ?? "")"))
struct MigrationTests {
    typealias Node = InstanceLifecycleTests.Node

    /// Two nodes and a client. `a` and `b` have no address on br0; the client's 10.99.0.1 is.
    final class Pair {
        let a: Node
        let b: Node
        let client: NetworkNamespace

        init() throws {
            a = try Node(bridgeAddress: nil)
            b = try Node(bridgeAddress: nil)
            client = try NetworkNamespace()
            try client.ip(["link", "set", "lo", "up"])
            try a.ns.ip(["link", "add", "l2", "type", "veth", "peer", "name", "l2", "netns", b.ns.name])
            try client.ip(["link", "add", "eth0", "type", "veth", "peer", "name", "cl0", "netns", a.ns.name])
            try a.ns.ip(["link", "add", "mig0", "type", "veth", "peer", "name", "mig0", "netns", b.ns.name])
            // No IPv6 on the links made here: its routes and addresses come and go after the link
            // is up, and before and after would differ by them.
            for (ns, links) in [(a.ns, ["l2", "cl0", "mig0"]), (b.ns, ["l2", "mig0"]), (client, ["eth0"])] {
                try ns.run {
                    for link in links {
                        try "1".write(
                            toFile: "/proc/sys/net/ipv6/conf/\(link)/disable_ipv6", atomically: false, encoding: .utf8)
                    }
                }
            }
            try a.ns.ip(["link", "set", "l2", "master", "br0", "up"])
            try b.ns.ip(["link", "set", "l2", "master", "br0", "up"])
            try a.ns.ip(["link", "set", "cl0", "master", "br0", "up"])
            try client.ip(["addr", "add", "10.99.0.1/24", "dev", "eth0"])
            try client.ip(["link", "set", "eth0", "up"])
            try a.ns.ip(["addr", "add", "10.98.0.1/30", "dev", "mig0"])
            try b.ns.ip(["addr", "add", "10.98.0.2/30", "dev", "mig0"])
            try a.ns.ip(["link", "set", "mig0", "up"])
            try b.ns.ip(["link", "set", "mig0", "up"])
            for ns in [a.ns, b.ns] {
                for _ in 0..<250 where try ns.ip(["-o", "link", "show"]).contains("NO-CARRIER") { usleep(20_000) }
            }
        }

        /// A guest of `nics` on `a`, 128 MiB (plus 8 KiB: a size that is not a multiple of
        /// 256 KiB keeps qemu 7.2 under TCG off the dirty-bitmap path that corrupts a migrated
        /// guest, qemu bug 03bfc2188f), started and answering `address` from `from`.
        func startGuest(
            _ name: String, nics: [(mode: String, link: String, ip: String?)], guestIP: String, gateway: String,
            top: [String: Any] = [:]
        ) throws {
            let spec = try a.spec(
                name: name, nics: nics, extra: ["kvm_extra": "-m 131080K"], top: top, guestIP: guestIP,
                gateway: gateway)
            let start = try a.taphouse(["instance", "start", "--spec", spec])
            try #require(start.status == 0, "\(start.error)")
        }

        /// The client pings `address` until it answers (within `seconds`).
        func clientPings(_ address: String, within seconds: Int = 90) throws -> Bool {
            try Node.pings(address, from: client.name, within: seconds)
        }
    }

    /// What the client's GET of `url` on the guest answers (curl; busybox's static wget crashes
    /// in its resolver on the host), or why it failed.
    func clientGets(_ pair: Pair, _ url: String) throws -> String {
        let result = try BlockingCommand.run(
            ["/usr/sbin/ip", "netns", "exec", pair.client.name, "/usr/bin/curl", "-sS", "-m", "5", url],
            timeout: .seconds(15))
        return result.status == 0
            ? result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            : "curl failed: \(result.standardError)"
    }

    /// The guest's serial console on a target, read from `accept` on: a migration under TCG
    /// with qemu 7.2 can corrupt virtio-net's ring, which the guest's kernel then reports there.
    final class SerialReader: @unchecked Sendable {
        private let fd: Int32
        private let lock = NSLock()
        private var bytes: [UInt8] = []
        private var thread: Thread?

        init(_ path: String) throws {
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
            }
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard connected == 0 else {
                Glibc.close(fd)
                throw Pinger.Failure(description: "serial \(path): \(String(cString: strerror(errno)))")
            }
            let thread = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = recv(fd, &buffer, buffer.count, 0)
                    guard count > 0 else { return }
                    lock.withLock { bytes += buffer[..<count] }
                }
            }
            self.thread = thread
            thread.start()
        }

        var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }

        func close() {
            shutdown(fd, Int32(SHUT_RDWR))
            while thread?.isFinished == false { usleep(10_000) }
            Glibc.close(fd)
        }

        /// What the guest's kernel said about virtio, which after a healthy move is nothing.
        var virtioErrors: [String] {
            text.split(separator: "\n").filter { $0.contains("virtio") && $0.contains("not a head") }.map(String.init)
        }
    }

    /// One migration `from` → `to` through the CLI: migration-info, accept (serial read from
    /// then on), migrate, finalize. Returns the three results and the serial reader.
    @discardableResult
    func move(
        _ name: String, from: Node, to: Node, listen: String, migrate options: [String] = ["--bandwidth", "0"],
        accept acceptOptions: [String] = []
    ) throws -> (migrate: TaphouseBinary.Result, finalize: TaphouseBinary.Result, serial: SerialReader) {
        let info = try from.taphouse(["instance", "migration-info", name])
        try #require(info.status == 0, "\(info.error)")
        let file = to.folder.write("\(name)-migration-info.json", info.output)
        let accept = try to.taphouse(
            ["instance", "accept", "--migration-info", file, "--listen", listen] + acceptOptions)
        try #require(accept.status == 0, "\(accept.error)")
        let serial = try SerialReader(to.state + "/ctrl/\(name).serial")
        let migrate = try from.taphouse(["instance", "migrate", name, "--target", listen, "--json"] + options)
        let finalize = try to.taphouse(
            ["instance", "finalize", name, migrate.status == 0 ? "--success" : "--failure"])
        return (migrate, finalize, serial)
    }

    @Test func aBridgedGuestMovesLiveOfflineAndWithPostcopyAndKeepsAnswering() throws {
        let pair = try Pair()
        let (beforeA, beforeB) = (try pair.a.snapshot(), try pair.b.snapshot())
        try pair.startGuest("mig1", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.2/24", gateway: "10.99.0.1")
        #expect(try pair.clientPings("10.99.0.2"))
        let pinger = try Pinger(from: pair.client, to: "10.99.0.2")
        defer { pinger.stop() }

        // Live, a → b.
        let there = try move("mig1", from: pair.a, to: pair.b, listen: "10.98.0.2:8102")
        #expect(there.migrate.status == 0, "\(there.migrate.error)")
        #expect(there.finalize.status == 0, "\(there.finalize.error)")
        let lines = there.migrate.output.split(separator: "\n")
        #expect(lines.last?.contains("\"noticed_after_ms\"") ?? false, "\(there.migrate.output)")
        // The source is as it was before the guest ever ran there: no tap, no file, no journal.
        try pair.a.expectUnchanged(since: beforeA)
        #expect(try pair.b.taphouse(["instance", "list"]).output.hasPrefix("mig1\trunning\t"))
        #expect(try pair.b.ns.ip(["-o", "link", "show", "master", "br0"]).contains(": tap"))
        let landed = Pinger.now()
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        usleep(300_000)
        #expect(pinger.answered(since: landed))
        there.serial.close()
        #expect(there.serial.virtioErrors.isEmpty, "\(there.serial.text)")

        // Offline, b → a: stopped first, runs again on a.
        let back = try move(
            "mig1", from: pair.b, to: pair.a, listen: "10.98.0.1:8102", migrate: ["--offline", "--bandwidth", "0"])
        #expect(back.migrate.status == 0, "\(back.migrate.error)")
        #expect(back.finalize.status == 0, "\(back.finalize.error)")
        try pair.b.expectUnchanged(since: beforeB)
        #expect(try pair.a.taphouse(["instance", "list"]).output.hasPrefix("mig1\trunning\t"))
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        back.serial.close()
        #expect(back.serial.virtioErrors.isEmpty, "\(back.serial.text)")

        // Postcopy, a → b (qemu does it under TCG as root, with userfaultfd).
        let post = try move(
            "mig1", from: pair.a, to: pair.b, listen: "10.98.0.2:8102", migrate: ["--postcopy", "--bandwidth", "0"],
            accept: ["--postcopy"])
        #expect(post.migrate.status == 0, "\(post.migrate.error)")
        #expect(post.finalize.status == 0, "\(post.finalize.error)")
        try pair.a.expectUnchanged(since: beforeA)
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        post.serial.close()
        #expect(post.serial.virtioErrors.isEmpty, "\(post.serial.text)")

        let stop = try pair.b.taphouse(["instance", "stop", "mig1", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        try pair.b.expectUnchanged(since: beforeB)
    }

    @Test func aRoutedGuestsRouteMovesWithItAfterItArrived() throws {
        let pair = try Pair()
        for node in [pair.a, pair.b] {
            try node.ns.ip(["addr", "add", "10.99.1.1/32", "dev", "lo"])
            // The node's own side reaches the guest through table 100 (ping from 10.99.1.1).
            try node.ns.ip(["rule", "add", "to", "10.99.1.2", "table", "100", "priority", "50"])
        }
        let (beforeA, beforeB) = (try pair.a.snapshot(), try pair.b.snapshot())
        try pair.startGuest(
            "mig2", nics: [("routed", "100", "10.99.1.2")], guestIP: "10.99.1.2/24", gateway: "10.99.1.1")
        #expect(try pair.a.pings("10.99.1.2"))

        let info = try pair.a.taphouse(["instance", "migration-info", "mig2"])
        let file = pair.b.folder.write("mig2-info.json", info.output)
        let accept = try pair.b.taphouse(["instance", "accept", "--migration-info", file, "--listen", "10.98.0.2:8102"])
        #expect(accept.status == 0, "\(accept.error)")
        let serial = try SerialReader(pair.b.state + "/ctrl/mig2.serial")
        // Before the guest arrived its route is not on the target: the pre phase skips routed.
        #expect(!(try pair.b.ns.ip(["route", "show", "table", "all"]).contains("10.99.1.2 dev tap")))
        let migrate = try pair.a.taphouse(["instance", "migrate", "mig2", "--target", "10.98.0.2:8102"])
        #expect(migrate.status == 0, "\(migrate.error)")
        // The guest waits, paused, for the post phase: a routed guest never runs without its route.
        #expect(try pair.b.taphouse(["instance", "list"]).output.hasPrefix("mig2\tpaused\t"))
        let finalize = try pair.b.taphouse(["instance", "finalize", "mig2", "--success"])
        #expect(finalize.status == 0, "\(finalize.error)")
        #expect(finalize.output.contains("post phase"), "\(finalize.output)")
        #expect(try pair.b.ns.ip(["route", "show", "table", "100"]).contains("10.99.1.2 dev tap"))
        try pair.a.expectUnchanged(since: beforeA)
        #expect(try pair.b.pings("10.99.1.2", within: 20))
        serial.close()
        #expect(serial.virtioErrors.isEmpty, "\(serial.text)")

        let stop = try pair.b.taphouse(["instance", "stop", "mig2", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        try pair.b.expectUnchanged(since: beforeB)
    }

    /// `migrate` run on a thread while the test does something to it.
    func migrateInBackground(
        _ node: Node, _ name: String, target: String, bandwidth: Int = 2
    ) -> (Thread, () -> TaphouseBinary.Result?) {
        let box = ResultBox()
        let thread = Thread {
            box.set(
                try? node.taphouse([
                    "instance", "migrate", name, "--target", target, "--bandwidth", "\(bandwidth)", "--json",
                ]))
        }
        thread.start()
        return (
            thread,
            {
                while !thread.isFinished { usleep(20_000) }
                return box.get()
            }
        )
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: TaphouseBinary.Result?
        func set(_ value: TaphouseBinary.Result?) { lock.withLock { self.value = value } }
        func get() -> TaphouseBinary.Result? { lock.withLock { value } }
    }

    /// Accepts `name` on b after a migration-info on a.
    func accept(_ pair: Pair, _ name: String, listen: String = "10.98.0.2:8102") throws -> TaphouseBinary.Result {
        let info = try pair.a.taphouse(["instance", "migration-info", name])
        let file = pair.b.folder.write("\(name)-info.json", info.output)
        return try pair.b.taphouse(["instance", "accept", "--migration-info", file, "--listen", listen])
    }

    @Test func everyFailureLeavesTheSourceRunningAndTheTargetAsItWas() throws {
        let pair = try Pair()
        let (beforeA, beforeB) = (try pair.a.snapshot(), try pair.b.snapshot())
        try pair.startGuest("mig3", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.2/24", gateway: "10.99.0.1")
        #expect(try pair.clientPings("10.99.0.2"))

        // 1. The target's qemu is killed during the migration: the source fails and runs on.
        #expect(try accept(pair, "mig3").status == 0)
        var (_, result) = migrateInBackground(pair.a, "mig3", target: "10.98.0.2:8102")
        usleep(1_000_000)
        try pair.b.killQemu("mig3")
        var migrate = try #require(result())
        #expect(migrate.status != 0)
        #expect(migrate.error.contains("the migration failed"), "\(migrate.error)")
        // Progress came as JSON objects, one a line, while it ran (every 500 ms at 2 MiB/s).
        #expect(migrate.output.contains("\"status\":\"active\""), "\(migrate.output)")
        #expect(try pair.a.taphouse(["instance", "list"]).output.hasPrefix("mig3\trunning\t"))
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        var finalize = try pair.b.taphouse(["instance", "finalize", "mig3", "--failure"])
        #expect(finalize.status == 0, "\(finalize.error)")
        try pair.b.expectUnchanged(since: beforeB)

        // 2. A cancel: the source runs on.
        #expect(try accept(pair, "mig3").status == 0)
        (_, result) = migrateInBackground(pair.a, "mig3", target: "10.98.0.2:8102")
        usleep(1_000_000)
        let cancel = try pair.a.taphouse(["instance", "migrate-cancel", "mig3"])
        #expect(cancel.status == 0, "\(cancel.error)")
        migrate = try #require(result())
        #expect(migrate.status != 0)
        #expect(migrate.error.contains("cancelled"), "\(migrate.error)")
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        finalize = try pair.b.taphouse(["instance", "finalize", "mig3", "--failure"])
        #expect(finalize.status == 0, "\(finalize.error)")
        try pair.b.expectUnchanged(since: beforeB)

        // 2b. Ctrl-C on the migrating command: cancelled too, one error, the source runs on.
        #expect(try accept(pair, "mig3").status == 0)
        let output = pair.a.folder.path + "/interrupted.txt"
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let interrupted = try ProcessSpawn.spawn(
            [
                NetworkNamespace.ipPath, "netns", "exec", pair.a.ns.name, TaphouseBinary.path, "instance", "migrate",
                "mig3", "--target", "10.98.0.2:8102", "--bandwidth", "2", "--state-dir", pair.a.state, "--hooks-dir",
                pair.a.site,
            ],
            ProcessSpawn.Options(standardOutput: fd, standardError: fd))
        close(fd)
        usleep(1_500_000)
        kill(interrupted, SIGINT)
        var status: Int32 = 0
        waitpid(interrupted, &status, 0)
        let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status >> 8 == 1, "exit status \(status): \(said)")
        #expect(said.contains("cancelled: the source runs on"), "\(said)")
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        finalize = try pair.b.taphouse(["instance", "finalize", "mig3", "--failure"])
        #expect(finalize.status == 0, "\(finalize.error)")
        try pair.b.expectUnchanged(since: beforeB)

        // 3. A pre-phase hook that fails: accept fails and undoes itself.
        pair.b.folder.write(
            "site/network/bridged.lua", "return { up = function(nic) error('no ports left on ' .. nic.LINK) end }")
        let refused = try accept(pair, "mig3")
        #expect(refused.status != 0)
        #expect(refused.error.contains("no ports left on br0"), "\(refused.error)")
        try FileManager.default.removeItem(atPath: pair.b.site + "/network/bridged.lua")
        try pair.b.expectUnchanged(since: beforeB)

        // 4. The port is taken: qemu says so at once, accept undoes itself.
        let held = try pair.b.ns.run { () throws -> Int32 in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            // Earlier migrations' connections to the port may linger in TIME_WAIT.
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(8102).bigEndian
            inet_pton(AF_INET, "10.98.0.2", &address.sin_addr)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try #require(bound == 0 && listen(fd, 1) == 0)
            return fd
        }
        let taken = try accept(pair, "mig3")
        close(held)
        #expect(taken.status != 0)
        #expect(taken.error.contains("Address already in use"), "\(taken.error)")
        try pair.b.expectUnchanged(since: beforeB)

        // 5. The source's qemu is killed during the migration: the target's qemu ends by
        // itself, finalize --failure clears the rest; the source is cleaned up.
        #expect(try accept(pair, "mig3").status == 0)
        (_, result) = migrateInBackground(pair.a, "mig3", target: "10.98.0.2:8102")
        usleep(1_000_000)
        try pair.a.killQemu("mig3")
        migrate = try #require(result())
        #expect(migrate.status != 0)
        #expect(migrate.error.contains("its NICs were taken down and its files removed"), "\(migrate.error)")
        finalize = try pair.b.taphouse(["instance", "finalize", "mig3", "--failure"])
        #expect(finalize.status == 0, "\(finalize.error)")
        try pair.b.expectUnchanged(since: beforeB)
        try pair.a.expectUnchanged(since: beforeA)
    }

    @Test func aRawDiskOnSharedStorageMovesWithTheGuest() throws {
        let pair = try Pair()
        let shared = TemporaryFolder()
        // Each node's lifecycle hook is told its side of the move.
        let marks = shared.path + "/marks"
        try FileManager.default.createDirectory(atPath: marks, withIntermediateDirectories: true)
        for (node, label) in [(pair.a, "a"), (pair.b, "b")] {
            node.folder.write(
                "site/instance.lua",
                """
                local exec = require "taphouse.exec"
                local function mark(instance)
                  local what = instance.event .. "-" .. instance.role
                  if instance.success ~= nil then what = what .. "-" .. tostring(instance.success) end
                  exec.run({ "/usr/bin/touch", "\(marks)/\(label)-" .. what })
                end
                return { pre_migrate = mark, post_migrate = mark }
                """)
        }
        let disk = shared.path + "/disk0.raw"
        #expect(FileManager.default.createFile(atPath: disk, contents: Data(count: 1 << 20)))
        let (beforeA, beforeB) = (try pair.a.snapshot(), try pair.b.snapshot())
        try pair.startGuest(
            "mig4", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.2/24", gateway: "10.99.0.1",
            top: [
                "disk_template": "sharedfile",
                "disks": [
                    [
                        "uuid": "5f0c7d0e-3b1a-4d6e-9a61-0e4c2b9d7f10", "path": disk, "size": 1,
                        "dev_type": "sharedfile",
                    ]
                ],
            ])
        #expect(try pair.clientPings("10.99.0.2"))
        var answer = try clientGets(pair, "http://10.99.0.2/cgi-bin/disk?write=before-the-move")
        #expect(answer == "written", "\(answer)")
        answer = try clientGets(pair, "http://10.99.0.2/cgi-bin/disk")
        #expect(answer == "before-the-move", "\(answer)")

        let there = try move("mig4", from: pair.a, to: pair.b, listen: "10.98.0.2:8102")
        #expect(there.migrate.status == 0, "\(there.migrate.error)")
        #expect(there.finalize.status == 0, "\(there.finalize.error)")
        #expect(
            LifecycleHookTests.marks(marks) == [
                "a-post_migrate-source-true", "a-pre_migrate-source", "b-post_migrate-target-true",
                "b-pre_migrate-target",
            ])
        try pair.a.expectUnchanged(since: beforeA)
        // Read on the target, past the guest's cache: what it wrote before the move is there.
        answer = try clientGets(pair, "http://10.99.0.2/cgi-bin/disk")
        #expect(answer == "before-the-move", "\(answer)")
        answer = try clientGets(pair, "http://10.99.0.2/cgi-bin/disk?write=after-the-move")
        #expect(answer == "written", "\(answer)")
        there.serial.close()
        #expect(there.serial.virtioErrors.isEmpty, "\(there.serial.text)")
        let stop = try pair.b.taphouse(["instance", "stop", "mig4", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: disk)).prefix(32), as: UTF8.self)
        #expect(text.hasPrefix("after-the-move\n"), "\(text)")
        try pair.b.expectUnchanged(since: beforeB)
    }

    /// The events a daemon has published so far (its history, replayed from the start).
    func events(_ daemon: DaemonTests.Daemon) throws -> String {
        let output = try BlockingCommand.run(
            [
                "/usr/bin/curl", "-s", "-N", "--max-time", "2", "-H", "Last-Event-ID: 0", "--unix-socket",
                daemon.socket,
                "http://taphouse/v1/events",
            ], timeout: .seconds(10))
        return output.standardOutput
    }

    @Test func theSourceDaemonDrivesTheTargetDaemonNodeToNode() throws {
        let pair = try Pair()
        // b's daemon is also on TCP, on its migration address, with TLS and a token.
        let (certificate, key) = (pair.b.folder.path + "/cert.pem", pair.b.folder.path + "/key.pem")
        _ = try BlockingCommand.run(
            [
                "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=node-b", "-addext",
                "subjectAltName=IP:10.98.0.2",
            ], timeout: .seconds(30))
        let token = "token-of-node-b-for-the-test"
        let tokenFile = pair.b.folder.write("token", token + "\n")
        chmod(tokenFile, 0o600)
        let daemonA = try DaemonTests.Daemon(pair.a)
        let daemonB = try DaemonTests.Daemon(
            pair.b,
            options: [
                "--listen", "10.98.0.2:8443", "--tls-cert", certificate, "--tls-key", key, "--token-file", tokenFile,
            ])
        let (beforeA, beforeB) = (try pair.a.snapshot(), try pair.b.snapshot())
        try pair.startGuest("mig5", nics: [("bridged", "br0", nil)], guestIP: "10.99.0.2/24", gateway: "10.99.0.1")
        #expect(try pair.clientPings("10.99.0.2"))
        let request = """
            {"target": "10.98.0.2:8102", "target_daemon": {"socket": "\(daemonB.socket)"}, "bandwidth": 0,
             "reason": "node maintenance"}
            """

        // A target that refuses (its pre phase fails): nothing moved, nothing left on it.
        pair.b.folder.write(
            "site/network/bridged.lua", "return { up = function(nic) error('no ports left on ' .. nic.LINK) end }")
        try waitForBridgedHook(daemonB, from: "site")
        let refused = try daemonA.curl(["/v1/instances/mig5/migrate"], method: "POST", body: request)
        #expect(refused.status == 502, "\(refused.body)")
        #expect(refused.object["code"] as? String == "migration", "\(refused.body)")
        #expect((refused.object["detail"] as? String)?.contains("no ports left on br0") ?? false, "\(refused.body)")
        #expect(try pair.a.taphouse(["instance", "list"]).output.hasPrefix("mig5\trunning\t"))
        try FileManager.default.removeItem(atPath: pair.b.site + "/network/bridged.lua")
        try waitForBridgedHook(daemonB, from: "builtin")
        try pair.b.expectUnchanged(since: beforeB)

        // The move, with no orchestrator between the two daemons, b's reached over https.
        let overHTTPS = """
            {"target": "10.98.0.2:8102", "bandwidth": 0,
             "target_daemon": {"url": "https://10.98.0.2:8443", "token": "\(token)", "ca_file": "\(certificate)"}}
            """
        let wrongToken = try daemonA.curl(
            ["/v1/instances/mig5/migrate"], method: "POST",
            body: overHTTPS.replacingOccurrences(of: token, with: "not-the-token-of-node-b"))
        #expect(wrongToken.status == 502 && wrongToken.object["code"] as? String == "migration", "\(wrongToken.body)")
        #expect(try pair.a.taphouse(["instance", "list"]).output.hasPrefix("mig5\trunning\t"))
        try pair.b.expectUnchanged(since: beforeB)
        let moved = try daemonA.curl(["/v1/instances/mig5/migrate"], method: "POST", body: overHTTPS)
        #expect(moved.status == 200, "\(moved.body)")
        #expect(moved.object["arrival"] != nil, "\(moved.body)")
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        try pair.a.expectUnchanged(since: beforeA)
        let info = try daemonB.curl(["/v1/instances/mig5"])
        #expect(info.object["state"] as? String == "running", "\(info.body)")
        // Progress as events on both sides: the source's progress, the target's qemu's status.
        let (eventsA, eventsB) = (try events(daemonA), try events(daemonB))
        #expect(eventsA.contains("event: migration"), "\(eventsA)")
        #expect(eventsA.contains("\"reason\":\"migrated-out\""), "\(eventsA)")
        #expect(eventsB.contains("event: migration") && eventsB.contains("\"reason\":\"completed\""), "\(eventsB)")
        #expect(eventsB.contains("\"reason\":\"migrated-in\""), "\(eventsB)")

        // Back, with the target's qemu killed half way: finalised on both, the source runs on.
        let back = """
            {"target": "10.98.0.1:8102", "target_daemon": {"socket": "\(daemonA.socket)"}, "bandwidth": 2}
            """
        let box = ResultBox2()
        let thread = Thread { box.set(try? daemonB.curl(["/v1/instances/mig5/migrate"], method: "POST", body: back)) }
        thread.start()
        for _ in 0..<250 where !FileManager.default.fileExists(atPath: pair.a.state + "/pid/mig5") { usleep(20_000) }
        usleep(1_000_000)
        try pair.a.killQemu("mig5")
        while !thread.isFinished { usleep(20_000) }
        let failed = try #require(box.get())
        #expect(failed.status == 502, "\(failed.body)")
        #expect(failed.object["code"] as? String == "migration", "\(failed.body)")
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        try pair.a.expectUnchanged(since: beforeA)
        // Ctrl-C on the CLI's migrate, which went through b's daemon: the daemon's migration is
        // cancelled, the guest runs on at b, and a's accept is cleared.
        let described = try pair.b.taphouse(["instance", "migration-info", "mig5"])
        let file = pair.a.folder.write("mig5-info.json", described.output)
        let accepted = try pair.a.taphouse(
            ["instance", "accept", "--migration-info", file, "--listen", "10.98.0.1:8102"])
        #expect(accepted.status == 0, "\(accepted.error)")
        let output = pair.b.folder.path + "/interrupted.txt"
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let interrupted = try ProcessSpawn.spawn(
            [
                NetworkNamespace.ipPath, "netns", "exec", pair.b.ns.name, TaphouseBinary.path, "instance", "migrate",
                "mig5", "--target", "10.98.0.1:8102", "--bandwidth", "2", "--state-dir", pair.b.state, "--hooks-dir",
                pair.b.site,
            ],
            ProcessSpawn.Options(standardOutput: fd, standardError: fd))
        close(fd)
        usleep(1_500_000)
        kill(interrupted, SIGINT)
        var status: Int32 = 0
        waitpid(interrupted, &status, 0)
        let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(status >> 8 == 1, "exit status \(status): \(said)")
        #expect(said.contains("cancelled"), "\(said)")
        #expect(try pair.clientPings("10.99.0.2", within: 10))
        let cleared = try pair.a.taphouse(["instance", "finalize", "mig5", "--failure"])
        #expect(cleared.status == 0, "\(cleared.error)")
        try pair.a.expectUnchanged(since: beforeA)

        let stop = try daemonB.curl(["/v1/instances/mig5/stop"], method: "POST", body: #"{"force": true}"#)
        #expect(stop.status == 200, "\(stop.body)")
        try pair.b.expectUnchanged(since: beforeB)
        try daemonA.expectDocumented()
        try daemonB.expectDocumented()
    }

    /// Waits until the daemon serves the bridged hook from `source` (its mirror took the change).
    func waitForBridgedHook(_ daemon: DaemonTests.Daemon, from source: String) throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let hooks = try daemon.curl(["/v1/hooks"]).json as? [[String: Any]] ?? []
            if hooks.contains(where: {
                ($0["file"] as? String)?.hasSuffix("network/bridged.lua") == true && $0["source"] as? String == source
            }) {
                return
            }
            usleep(50_000)
        }
        Issue.record("the daemon never served the bridged hook from \(source)")
    }

    final class ResultBox2: @unchecked Sendable {
        private let lock = NSLock()
        private var value: DaemonTests.Daemon.Answer?
        func set(_ value: DaemonTests.Daemon.Answer?) { lock.withLock { self.value = value } }
        func get() -> DaemonTests.Daemon.Answer? { lock.withLock { value } }
    }
}

// taphouse-migbench: live migration through taphouse's daemons (node to node: the source's daemon
// has the target's accept, migrates, has it finalize) side by side, in one run, with the same
// migration driven by a bare QMP client (qemu launched directly with the same argv on taps made
// beforehand, as the reference's script does). Two namespaces are the nodes, their bridges joined
// by a veth, a migration link between them, and a third namespace pings the guest every 10 ms.
// Both guests run all along; rounds alternate directions, one migration of each guest in
// turn, uncapped bandwidth, downtime limit 30 ms. Per round:
//   - completion noticed after qemu's MIGRATION `completed` event, from qemu's timestamp
//     (goal <= 20 ms);
//   - the guest's real pause, the source's STOP event to the target's RESUME event;
//   - the whole migration, from asking to the target running and the source gone (taphouse:
//     one API call; bare: target spawned .. source exited) (goal <= 1.05x bare);
//   - pings lost (goal <= bare + 2).
// After each round the guest must answer; a round after which it does not (qemu 7.2's TCG bug,
// see the reference) is reported. Run as root:
//   swift build -c release --product taphouse && swift build -c release --product taphouse-migbench &&
//   .build/release/taphouse-migbench [rounds]
import AsyncHTTPClient
import Foundation
import HostNet
import NIOCore
import NIOHTTP1
import QEMU
import QMP
import TestSupport

let rounds = CommandLine.arguments.count > 1 ? max(2, Int(CommandLine.arguments[1]) ?? 6) : 6
let folder = (ProcessInfo.processInfo.environment["TAPHOUSE_BENCH_DIR"] ?? "/tmp") + "/th-mbench-\(getpid())"
let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let taphouse = binaries.appendingPathComponent("taphouse").path
let qemu = "/usr/bin/qemu-system-x86_64"
let clock = ContinuousClock()
func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: taphouse) else {
    print("needs root and the taphouse binary beside this one (swift build -c release --product taphouse)")
    exit(1)
}
let (kernel, initrd) = try TestGuest.build()

// MARK: Topology

let client = try NetworkNamespace()
let nodes = [try NetworkNamespace(), try NetworkNamespace()]
let migrationAddresses = ["10.98.0.1", "10.98.0.2"]
func ip(_ arguments: [String]) throws { try BenchmarkSteps.ip(arguments) }
try client.ip(["link", "set", "lo", "up"])
for node in nodes {
    try node.ip(["link", "set", "lo", "up"])
    try node.ip(["link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
    try node.ip(["link", "set", "br0", "up"])
}
try nodes[0].ip(["link", "add", "l2", "type", "veth", "peer", "name", "l2", "netns", nodes[1].name])
try client.ip(["link", "add", "eth0", "type", "veth", "peer", "name", "cl0", "netns", nodes[0].name])
try nodes[0].ip(["link", "add", "mig0", "type", "veth", "peer", "name", "mig0", "netns", nodes[1].name])
for (index, node) in nodes.enumerated() {
    try node.ip(["link", "set", "l2", "master", "br0", "up"])
    try node.ip(["addr", "add", migrationAddresses[index] + "/30", "dev", "mig0"])
    try node.ip(["link", "set", "mig0", "up"])
}
try nodes[0].ip(["link", "set", "cl0", "master", "br0", "up"])
try client.ip(["addr", "add", "10.99.0.1/24", "dev", "eth0"])
try client.ip(["link", "set", "eth0", "up"])

// MARK: Daemons

var daemons: [pid_t] = []
let states = [folder + "/node0", folder + "/node1"]
defer {
    for pid in daemons {
        kill(pid, SIGTERM)
        waitpid(pid, nil, 0)
    }
    for node in nodes {
        if let pids = try? BlockingCommand.run(["/usr/sbin/ip", "netns", "pids", node.name], timeout: .seconds(10)) {
            for pid in pids.standardOutput.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
        }
    }
    // TAPHOUSE_BENCH_KEEP=1 keeps the daemons' logs and state for a look afterwards.
    if ProcessInfo.processInfo.environment["TAPHOUSE_BENCH_KEEP"] == nil {
        try? FileManager.default.removeItem(atPath: folder)
    }
    // Globals are never released: the namespaces go here.
    client.close()
    for node in nodes { node.close() }
}
for (index, node) in nodes.enumerated() {
    try FileManager.default.createDirectory(atPath: folder + "/site\(index)", withIntermediateDirectories: true)
    let output = open(folder + "/daemon\(index).log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    defer { close(output) }
    daemons.append(
        try ProcessSpawn.spawn(
            [
                "/usr/sbin/ip", "netns", "exec", node.name, taphouse, "serve", "--state-dir", states[index],
                "--hooks-dir", folder + "/site\(index)",
            ],
            ProcessSpawn.Options(standardOutput: output, standardError: output)))
}
for state in states {
    let deadline = clock.now + .seconds(60)
    while !FileManager.default.fileExists(atPath: state + "/api.sock") {
        guard clock.now < deadline else { throw HostNetError(.command, "taphouse serve", detail: "never listened") }
        usleep(20_000)
    }
}

let http = HTTPClient(
    eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10), read: nil)))
func call(_ node: Int, _ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> JSONValue {
    let socket = states[node] + "/api.sock"
    var request = HTTPClientRequest(
        url: "http+unix://\(socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)\(path)")
    request.method = method
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await http.execute(request, timeout: .seconds(300))
    let bytes = Array(buffer: try await response.body.collect(upTo: 16 << 20))
    guard (200..<300).contains(Int(response.status.code)) else {
        throw HostNetError(.command, "\(method) \(path)", detail: String(decoding: bytes, as: UTF8.self))
    }
    return try JSONValue.parse(bytes)
}

// MARK: The guests: taphouse's (10.99.0.2) and the bare client's (10.99.0.3), both alive

/// The guest's spec; the bare client's is planned from the same text.
func spec(_ address: String, mac: String) -> String {
    """
    {"name": "bench", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
     "hvparams": {"kvm_path": "\(qemu)", "kernel_path": "\(kernel)", "initrd_path": "\(initrd)",
       "kernel_args": "guest.ip=\(address)/24 guest.gw=10.99.0.1", "serial_console": false,
       "kvm_extra": "-m 131080K"\(BenchmarkSteps.tcg ? ", \"kvm_flag\": \"disabled\"" : "")},
     "beparams": {"maxmem": 128, "vcpus": 1}, "disks": [], "tags": [],
     "nics": [{"mac": "\(mac)", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751390",
       "nicparams": {"mode": "bridged", "link": "br0"}}]}
    """
}
let pingers = [try Pinger(from: client, to: "10.99.0.2"), try Pinger(from: client, to: "10.99.0.3")]
defer { for pinger in pingers { pinger.stop() } }

/// Waits until guest `which` (0 taphouse's, 1 the bare one) answers a ping sent after now.
func guestAnswers(_ which: Int, within seconds: Double) -> Bool {
    let start = Pinger.now()
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if pingers[which].answered(since: start) { return true }
        usleep(20_000)
    }
    return false
}

func number(_ value: JSONValue?) -> Double? {
    switch value {
    case .double(let v)?: v
    case .int(let v)?: Double(v)
    default: nil
    }
}

/// qemu's timestamp of the newest RESUME of the guest that node `node`'s daemon published.
func lastResume(on node: Int) throws -> Double {
    let output = try BlockingCommand.run(
        [
            "/usr/bin/curl", "-s", "-N", "--max-time", "1", "-H", "Last-Event-ID: 0", "--unix-socket",
            states[node] + "/api.sock", "http://taphouse/v1/events",
        ], timeout: .seconds(10))
    var newest = 0.0
    for line in output.standardOutput.split(separator: "\n") where line.hasPrefix("data: ") {
        guard let event = try? JSONValue.parse(Array(line.dropFirst(6).utf8)),
            event["kind"]?.stringValue == "instance-state", event["reason"]?.stringValue == "resumed",
            let time = number(event["qmp_time"])
        else { continue }
        newest = max(newest, time)
    }
    return newest
}

/// Takes what a held QMP connection queued (a target's events from its arrival) so that the
/// next round reads only its own.
func drain(_ connection: QMPConnection) {
    while (try? connection.nextEvent(timeout: .milliseconds(1))) != nil {}
}

/// Whether `pid` runs: a daemonized qemu that exited stays a zombie until init reaps it.
func alive(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

struct Round {
    var whole: Double
    /// qemu's own `total-time` of the migration.
    var qemu: Double
    var noticed: Double
    var pause: Double
    var lost: Int
    var gap: Double
}

/// The pings to guest `which` of a round that ran from `start` to `end` (wall), once their
/// answers are in.
func pings(_ which: Int, _ start: Double, _ end: Double) -> (lost: Int, gap: Double) {
    usleep(1_000_000)
    return (pingers[which].lost(from: start, to: end), pingers[which].longestGap(from: start, to: end + 0.5))
}

// taphouse's guest, started through node 0's daemon.
log("starting taphouse's guest on node 0 ...")
_ = try await call(0, .POST, "/v1/instances", spec("10.99.0.2", mac: "52:54:00:77:00:02"))
guard guestAnswers(0, within: 90) else { throw HostNetError(.command, "taphouse's guest never answered") }

// The bare client's guest: the same planned argv, on taps made beforehand, launched directly.
try Data(spec("10.99.0.3", mac: "52:54:00:77:00:03").utf8).write(to: URL(fileURLWithPath: folder + "/bare.json"))
let plannedArgv = try BenchmarkSteps.run(
    [taphouse, "plan", "--spec", folder + "/bare.json", "--state-dir", folder + "/plan"], "plan"
).standardOutput.split(separator: "\n").map(String.init)

/// The planned argv on node `node`'s own folder, its NIC on tap `bare<node>` (made beforehand,
/// on br0), and `-incoming` on a target.
func bareArgv(_ node: Int, incoming: String?) throws -> (argv: [String], qmp: String, pidFile: String) {
    let own = folder + "/bare\(node)"
    for sub in ["pid", "ctrl"] {
        try FileManager.default.createDirectory(atPath: own + "/" + sub, withIntermediateDirectories: true)
    }
    var argv = plannedArgv.map { $0.replacingOccurrences(of: folder + "/plan", with: own) }
    argv += [
        "-netdev", "tap,id=nic-0,ifname=bare\(node),script=no,downscript=no",
        "-device", "virtio-net-pci,netdev=nic-0,id=nic-0,bus=pci.0,addr=0x12,mac=52:54:00:77:00:03",
    ]
    if let incoming { argv += ["-incoming", incoming] }
    return (argv, own + "/ctrl/bench.qmp", own + "/pid/bench")
}
for (index, node) in nodes.enumerated() {
    try node.ip(["tuntap", "add", "dev", "bare\(index)", "mode", "tap"])
    try node.ip(["link", "set", "bare\(index)", "master", "br0", "up"])
}
func launch(_ node: Int, incoming: String?) throws -> (QMPConnection, pid_t) {
    let (argv, qmpPath, pidFile) = try bareArgv(node, incoming: incoming)
    try BenchmarkSteps.run(["/usr/sbin/ip", "netns", "exec", nodes[node].name] + argv, "qemu")
    let text = try String(contentsOfFile: pidFile, encoding: .utf8)
    guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw HostNetError(.command, "qemu", detail: "no pid in \(pidFile)")
    }
    return (try QMPConnection.connect(path: qmpPath, timeout: .seconds(10)), pid)
}
func capabilities(_ on: Bool) -> [String: JSONValue] {
    [
        "capabilities": .array(
            ["events", "return-path"].map {
                .object(["capability": .string($0), "state": .bool(on || $0 == "events")])
            })
    ]
}
log("starting the bare client's guest on node 0 ...")
var (source, sourcePid) = try launch(0, incoming: nil)
guard guestAnswers(1, within: 90) else { throw HostNetError(.command, "the bare guest never answered") }

/// One migration through taphouse's daemons, node `from` to node `to`.
@MainActor func viaTaphouse(from: Int, to: Int) async throws -> Round {
    let start = Pinger.now()
    let began = clock.now
    let outcome = try await call(
        from, .POST, "/v1/instances/bench/migrate",
        """
        {"target": "\(migrationAddresses[to]):8102", "target_daemon": {"socket": "\(states[to])/api.sock"},
         "bandwidth": 0, "downtime": 30}
        """)
    let whole = BenchmarkSteps.seconds(clock.now - began)
    let end = Pinger.now()
    // The guest ran on the target before its finalize asked: its RESUME is the target daemon's
    // event (its supervisor holds the events socket), with qemu's own timestamp.
    let resumed = try lastResume(on: to)
    let (lost, gap) = pings(0, start, end)
    return Round(
        whole: whole, qemu: (number(outcome["total_time_ms"]) ?? 0) / 1000,
        noticed: (number(outcome["noticed_after_ms"]) ?? -1) / 1000,
        pause: resumed - (number(outcome["stopped_at"]) ?? 0), lost: lost, gap: gap)
}

/// The same migration by a bare QMP client (the reference's sequence): target spawned with
/// -incoming, capabilities on both, parameters, migrate, the source's events until completed, the
/// target's RESUME, the source quit and gone, the target's capabilities cleared.
@MainActor func bare(from: Int, to: Int) throws -> Round {
    let start = Pinger.now()
    let began = clock.now
    drain(source)
    let (target, targetPid) = try launch(to, incoming: "tcp:\(migrationAddresses[to]):8103")
    _ = try target.execute("migrate-set-capabilities", arguments: capabilities(true))
    _ = try source.execute(
        "migrate-set-parameters", arguments: ["max-bandwidth": .int(1 << 40), "downtime-limit": 30])
    _ = try source.execute("migrate-set-capabilities", arguments: capabilities(true))
    _ = try source.execute("migrate", arguments: ["uri": .string("tcp:\(migrationAddresses[to]):8103")])
    var stopped = 0.0
    var noticed = -1.0
    events: while true {
        let event = try source.nextEvent(timeout: .seconds(120))
        switch (event.name, event.data["status"]?.stringValue) {
        case ("STOP", _): stopped = event.timestamp ?? 0
        case ("MIGRATION", "completed"?):
            noticed = Date().timeIntervalSince1970 - (event.timestamp ?? 0)
            break events
        case ("MIGRATION", "failed"?), ("MIGRATION", "cancelled"?):
            throw HostNetError(.command, "bare migration", detail: "\(event.data)")
        default: continue
        }
    }
    var resumed = 0.0
    while resumed == 0 {
        let event = try target.nextEvent(timeout: .seconds(30))
        if event.name == "RESUME" { resumed = event.timestamp ?? 0 }
    }
    // qemu fills in its figures just after the event.
    var qemuTime = 0.0
    for _ in 0..<20 where qemuTime == 0 {
        qemuTime = (number(try source.execute("query-migrate")["total-time"]) ?? 0) / 1000
        if qemuTime == 0 { usleep(10_000) }
    }
    _ = try? source.execute("quit")
    source.close()
    while alive(sourcePid) { usleep(1_000) }
    _ = try target.execute("migrate-set-capabilities", arguments: capabilities(false))
    let whole = BenchmarkSteps.seconds(clock.now - began)
    let end = Pinger.now()
    (source, sourcePid) = (target, targetPid)
    let (lost, gap) = pings(1, start, end)
    return Round(whole: whole, qemu: qemuTime, noticed: noticed, pause: resumed - stopped, lost: lost, gap: gap)
}

// Rounds alternate directions; each direction has one of each, in turn.
var taphouseRounds: [Round] = []
var bareRounds: [Round] = []
var sick: [String] = []
for round in 0..<rounds {
    let (from, to) = (round % 2, 1 - round % 2)
    log("round \(round + 1), node \(from) -> node \(to): taphouse, then bare")
    taphouseRounds.append(try await viaTaphouse(from: from, to: to))
    if !guestAnswers(0, within: 10) { sick.append("taphouse's, round \(round + 1)") }
    bareRounds.append(try bare(from: from, to: to))
    if !guestAnswers(1, within: 10) { sick.append("bare, round \(round + 1)") }
    if !sick.isEmpty { break }
}
_ = try await call(rounds % 2, .POST, "/v1/instances/bench/stop", #"{"force": true}"#)

// A routed guest waits, paused, for its NIC's post phase on the target (its route): the pause
// that adds, from the source's `completed` to the target's RESUME after the hooks and `cont`.
log("starting a routed guest on node 0 ...")
let routedSpec = spec("10.99.1.2", mac: "52:54:00:77:00:04").replacingOccurrences(
    of: #""nicparams": {"mode": "bridged", "link": "br0"}"#,
    with: #""ip": "10.99.1.2", "nicparams": {"mode": "routed", "link": "100"}"#
).replacingOccurrences(of: #""name": "bench""#, with: #""name": "routed""#)
_ = try await call(0, .POST, "/v1/instances", routedSpec)
var routedPause: [Double] = []
var postWait: [Double] = []
for round in 0..<max(2, rounds / 2) {
    let (from, to) = (round % 2, 1 - round % 2)
    log("routed round \(round + 1), node \(from) -> node \(to)")
    let outcome = try await call(
        from, .POST, "/v1/instances/routed/migrate",
        """
        {"target": "\(migrationAddresses[to]):8102", "target_daemon": {"socket": "\(states[to])/api.sock"},
         "bandwidth": 0, "downtime": 30}
        """)
    let resumed = number(outcome["arrival"]?["resumed_at"]) ?? 0
    routedPause.append(resumed - (number(outcome["stopped_at"]) ?? 0))
    postWait.append(resumed - (number(outcome["completed_at"]) ?? 0))
}
_ = try await call(max(2, rounds / 2) % 2, .POST, "/v1/instances/routed/stop", #"{"force": true}"#)
_ = try? source.execute("quit")
source.close()
while alive(sourcePid) { usleep(1_000) }

// MARK: Figures

func summary(_ values: [Double], scale: Double = 1000, digits: Int = 1) -> String {
    guard !values.isEmpty else { return "-" }
    let sorted = values.sorted()
    return
        "\(format(BenchmarkSteps.median(values) * scale, digits)) (\(format(sorted[0] * scale, digits))..\(format(sorted[sorted.count - 1] * scale, digits)))"
}
let count = min(taphouseRounds.count, bareRounds.count)
print("live migration of a 128 MiB guest between two namespaces, uncapped, downtime limit 30 ms, \(count) rounds each")
print("median (min..max), ms; taphouse through its daemons, node to node, against a bare QMP client")
print(
    "  completion noticed after qemu's event: taphouse \(summary(taphouseRounds.map(\.noticed), digits: 2)), bare \(summary(bareRounds.map(\.noticed), digits: 2)) (goal <= 20 ms)"
)
print(
    "  real pause (source STOP -> target RESUME): taphouse \(summary(taphouseRounds.map(\.pause))), bare \(summary(bareRounds.map(\.pause)))"
)
let wholeRatio = BenchmarkSteps.median(taphouseRounds.map(\.whole)) / BenchmarkSteps.median(bareRounds.map(\.whole))
print(
    "  whole migration: taphouse \(summary(taphouseRounds.map(\.whole))), bare \(summary(bareRounds.map(\.whole))); ratio \(format(wholeRatio, 2))x (goal <= 1.05x)"
)
print(
    "  qemu's own migration (its total-time): taphouse \(summary(taphouseRounds.map(\.qemu))), bare \(summary(bareRounds.map(\.qemu)))"
)
print(
    "  around it (whole - qemu's total-time): taphouse \(summary(taphouseRounds.map { $0.whole - $0.qemu })), bare \(summary(bareRounds.map { $0.whole - $0.qemu }))"
)
let lostTaphouse = BenchmarkSteps.median(taphouseRounds.map { Double($0.lost) })
let lostBare = BenchmarkSteps.median(bareRounds.map { Double($0.lost) })
print(
    "  pings lost (10 ms interval): taphouse \(summary(taphouseRounds.map { Double($0.lost) }, scale: 1, digits: 0)), bare \(summary(bareRounds.map { Double($0.lost) }, scale: 1, digits: 0)) (goal: taphouse median <= bare + 2: \(lostTaphouse <= lostBare + 2 ? "met" : "not met"))"
)
print(
    "  longest gap between ping answers: taphouse \(summary(taphouseRounds.map(\.gap))), bare \(summary(bareRounds.map(\.gap)))"
)
print(
    "  a routed guest, paused on the target until its post phase ran: real pause \(summary(routedPause)), of which completed -> RESUME (finalize, the hooks, cont) \(summary(postWait))"
)
if !sick.isEmpty {
    print(
        "  the guest stopped answering after: \(sick.joined(separator: ", ")) (qemu 7.2 under TCG, see the reference)")
}

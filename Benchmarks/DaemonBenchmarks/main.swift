// taphouse-daemonbench: the node daemon measured side by side with its baselines, in one run,
// as root, in a network namespace made for the run (removed at the end):
//   1. a paused diskless instance with 2 bridged NICs started through the API, against qemu
//      launched directly on the same argv with 2 pre-made taps (goal <= 1.05x);
//   2. query-status on a held QMP session, against connect-greet-capabilities-command per call,
//      Ganeti 3.2's way (goals: median <= 120 us, ratio >= 10x);
//   3. 50 paused instances started concurrently through the API, then stopped: every one
//      succeeds, nothing is left; the daemon's RSS with the 50 supervised (goal <= 40 MiB);
//      GET /v1/instances with 50, median (goal <= 1 ms);
//   4. a QMP event to an SSE client of /v1/events, from qemu's own timestamp (goal <= 20 ms,
//      median and max);
//   5. the same list and event figures, and another instance's info, start and stop, with one
//      qemu stand-in flooding its events socket.
// Build and run: swift build -c release --product taphouse && swift build -c release --product
// qmp-standin && swift build -c release --product taphouse-daemonbench &&
// .build/release/taphouse-daemonbench [instances]
import AsyncHTTPClient
import Foundation
import HostNet
import NIOCore
import NIOHTTP1
import QMP
import TestSupport

let instances = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 50 : 50
// The state directory lives here: on a disk, as a node's does (its journals are fsync'ed; on
// tmpfs they are not); TAPHOUSE_BENCH_DIR puts it elsewhere.
let folder = (ProcessInfo.processInfo.environment["TAPHOUSE_BENCH_DIR"] ?? "/tmp") + "/th-dbench-\(getpid())"
let namespace = "th-dbench-\(getpid())"
let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let taphouse = binaries.appendingPathComponent("taphouse").path
let qemu = "/usr/bin/qemu-system-x86_64"
let tcg = BenchmarkSteps.tcg
let state = folder + "/state"
let socket = state + "/api.sock"
let clock = ContinuousClock()

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
/// The resident memory of `pid`, MiB: in all, and its anonymous part (the rest is pages of the
/// binary and the libraries, read from their files).
func rss(_ pid: pid_t) -> (all: Double, anonymous: Double) {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Double {
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return (field("VmRSS"), field("RssAnon"))
}

/// The API over the daemon's socket.
struct API {
    /// No read timeout: a start or a stop answers when it is done, and events may be far apart.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(10), read: nil)))
    var client: HTTPClient { Self.client }
    func send(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> (Int, String) {
        var request = HTTPClientRequest(
            url: "http+unix://\(socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)\(path)")
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(300))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }
}
let api = API()

func spec(_ name: String, index: Int) -> String {
    let mac = String(format: "%02x:%02x", index / 256, index % 256)
    return """
        {"name": "\(name)", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-\(String(format: "%012d", index))",
         "hvparams": {"kvm_path": "\(qemu)", "serial_console": false\(tcg ? ", \"kvm_flag\": \"disabled\"" : "")},
         "beparams": {"maxmem": 128, "vcpus": 1}, "disks": [],
         "nics": [
           {"mac": "52:54:00:01:\(mac)", "uuid": "003fc157-66a8-4e6d-8b7e-\(String(format: "%012d", index))", "nicparams": {"mode": "bridged", "link": "br0"}},
           {"mac": "52:54:00:02:\(mac)", "uuid": "113fc157-66a8-4e6d-8b7e-\(String(format: "%012d", index))", "nicparams": {"mode": "bridged", "link": "br0"}}]}
        """
}

try FileManager.default.createDirectory(atPath: folder + "/site", withIntermediateDirectories: true)
try BenchmarkSteps.ip(["netns", "add", namespace])
var daemon: pid_t = 0
defer {
    if daemon > 0 {
        kill(daemon, SIGTERM)
        waitpid(daemon, nil, 0)
    }
    // Whatever a failed run left in the namespace goes before it.
    if let pids = try? BlockingCommand.run(["/usr/sbin/ip", "netns", "pids", namespace], timeout: .seconds(10)) {
        for pid in pids.standardOutput.split(separator: "\n").compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
    }
    try? BenchmarkSteps.ip(["netns", "del", namespace])
    try? FileManager.default.removeItem(atPath: folder)
}
try BenchmarkSteps.ip(["-n", namespace, "link", "set", "lo", "up"])
try BenchmarkSteps.ip(["-n", namespace, "link", "add", "br0", "type", "bridge"])
try BenchmarkSteps.ip(["-n", namespace, "link", "set", "br0", "up"])

@MainActor func startDaemon() throws {
    let log = open(folder + "/daemon.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    defer { close(log) }
    daemon = try ProcessSpawn.spawn(
        [
            "/usr/sbin/ip", "netns", "exec", namespace, taphouse, "serve", "--state-dir", state, "--hooks-dir",
            folder + "/site",
        ],
        ProcessSpawn.Options(standardOutput: log, standardError: log))
    let deadline = clock.now + .seconds(60)
    while !FileManager.default.fileExists(atPath: socket) {
        guard clock.now < deadline else { throw HostNetError(.command, "taphouse serve", detail: "never listened") }
        usleep(20_000)
    }
}
try startDaemon()
usleep(300_000)
/// The floor of the RSS goal: the daemon at rest before any instance (mostly the pages of its
/// binary and of the Swift runtime's libraries).
let restingRSS = rss(daemon)

// MARK: 1. start through the API vs qemu directly

FileHandle.standardError.write(Data("1. start through the API vs qemu directly ...\n".utf8))

let rounds = 9
try Data(spec("bench1", index: 1).utf8).write(to: URL(fileURLWithPath: folder + "/bench1.json"))
let plan = try BenchmarkSteps.run(
    [taphouse, "plan", "--spec", folder + "/bench1.json", "--state-dir", folder + "/direct"], "plan")
var direct = plan.standardOutput.split(separator: "\n").map(String.init)
for index in 0..<2 {
    direct += [
        "-netdev", "tap,id=nic-\(index),ifname=bench\(index),script=no,downscript=no",
        "-device", "virtio-net-pci,netdev=nic-\(index),id=nic-\(index),bus=pci.0,addr=0x\(12 + index)",
    ]
}
direct.append("-S")
for sub in ["pid", "ctrl"] {
    try FileManager.default.createDirectory(atPath: folder + "/direct/" + sub, withIntermediateDirectories: true)
}
var viaAPI: [Double] = []
var directly: [Double] = []
let body = spec("bench1", index: 1)
_ = try await api.send(.POST, "/v1/instances?paused=true", body)  // fills the probe cache
_ = try await api.send(.POST, "/v1/instances/bench1/stop", #"{"force": true}"#)
for _ in 0..<rounds {
    usleep(200_000)
    let start = clock.now
    let (status, answer) = try await api.send(.POST, "/v1/instances?paused=true", body)
    viaAPI.append(BenchmarkSteps.seconds(clock.now - start))
    guard status == 201 else { fatalError("start through the API: \(status) \(answer)") }
    _ = try await api.send(.POST, "/v1/instances/bench1/stop", #"{"force": true}"#)
    directly.append(
        try BenchmarkSteps.launchDirectly(direct, namespace: namespace, pidFile: folder + "/direct/pid/bench1", taps: 2)
    )
}
// The floor for the direct launch includes ip netns exec, which the API path does not pay.
var netnsExec: [Double] = []
for _ in 0..<rounds {
    let start = clock.now
    try BenchmarkSteps.run(["/usr/sbin/ip", "netns", "exec", namespace, "/bin/true"], "ip netns exec")
    netnsExec.append(BenchmarkSteps.seconds(clock.now - start))
}
let (ours, theirs, exec) = (
    BenchmarkSteps.median(viaAPI) * 1000, BenchmarkSteps.median(directly) * 1000,
    BenchmarkSteps.median(netnsExec) * 1000
)
print("1. start of a paused diskless instance with 2 bridged NICs, median of \(rounds) (\(tcg ? "TCG" : "KVM"))")
print("   through the API (taps, hooks in workers, qemu, QMP):  \(format(ours)) ms")
print(
    "   qemu directly on pre-made taps (ip netns exec):       \(format(theirs)) ms, of which ip netns exec \(format(exec)) ms"
)
print(
    "   ratio: \(format(ours / theirs, 2))x; against qemu alone (less ip netns exec): \(format(ours / (theirs - exec), 2))x (goal <= 1.05x)"
)

// MARK: 2. QMP on a held session vs a connection per call

FileHandle.standardError.write(Data("2. QMP on a held session vs a connection per call ...\n".utf8))

do {
    let qmpFolder = folder + "/qmp"
    try FileManager.default.createDirectory(atPath: qmpFolder, withIntermediateDirectories: true)
    let standalone = try BlockingCommand.spawn(
        [
            qemu, "-machine", "none", "-nodefaults", "-display", "none", "-S", "-daemonize", "-pidfile",
            qmpFolder + "/pid",
            "-qmp", "unix:\(qmpFolder)/a,server=on,wait=off", "-qmp", "unix:\(qmpFolder)/b,server=on,wait=off",
        ])
    _ = try standalone.wait(timeout: .seconds(30))
    defer {
        if let text = try? String(contentsOfFile: qmpFolder + "/pid", encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }
    }
    let session = try QMPSession.open(path: qmpFolder + "/a", timeout: .seconds(5)) { _ in }
    defer { session.close() }
    var held: [Double] = []
    for _ in 0..<100 { _ = try session.execute("query-status") }
    for _ in 0..<2000 {
        let start = clock.now
        _ = try session.execute("query-status")
        held.append(BenchmarkSteps.seconds(clock.now - start))
    }
    // The floor: the same command on one connection read by the calling thread itself (no
    // session thread, no hand-over): qemu's own answer time plus a socket round trip.
    let bare = try QMPConnection.connect(path: qmpFolder + "/b", timeout: .seconds(5))
    var floor: [Double] = []
    for _ in 0..<2000 {
        let start = clock.now
        _ = try bare.execute("query-status")
        floor.append(BenchmarkSteps.seconds(clock.now - start))
    }
    bare.close()
    var perCall: [Double] = []
    for _ in 0..<300 {
        let start = clock.now
        let connection = try QMPConnection.connect(path: qmpFolder + "/b", timeout: .seconds(5))
        _ = try connection.execute("query-status")
        connection.close()
        perCall.append(BenchmarkSteps.seconds(clock.now - start))
    }
    let (h, p) = (BenchmarkSteps.median(held) * 1e6, BenchmarkSteps.median(perCall) * 1e6)
    print(
        "2. query-status, median: held session \(format(h)) us (goal <= 120 us); connect-greet-capabilities-command \(format(p)) us"
    )
    print(
        "   floor: one connection read by the caller itself, no session thread: \(format(BenchmarkSteps.median(floor) * 1e6)) us"
    )
    print("   ratio: \(format(p / h))x (goal >= 10x)")
}

// MARK: 3. many instances at once

FileHandle.standardError.write(Data("3. many instances at once ...\n".utf8))

print("3. \(instances) paused instances started concurrently through the API")
let manyStart = clock.now
let starts = try await withThrowingTaskGroup(of: Int.self) { group in
    for index in 0..<instances {
        group.addTask {
            try await api.send(.POST, "/v1/instances?paused=true", spec("many\(index)", index: 100 + index)).0
        }
    }
    var statuses: [Int] = []
    for try await status in group { statuses.append(status) }
    return statuses
}
print(
    "   \(starts.filter { $0 == 201 }.count) of \(instances) started in \(format(BenchmarkSteps.seconds(clock.now - manyStart), 2)) s"
)
usleep(500_000)
let supervisedRSS = rss(daemon)
print(
    "   the daemon's RSS with \(instances) supervised: \(format(supervisedRSS.all)) MiB, anonymous \(format(supervisedRSS.anonymous)) MiB (goal <= 40 MiB)"
)
print(
    "   floor: the daemon at rest before any instance: \(format(restingRSS.all)) MiB, anonymous \(format(restingRSS.anonymous)) MiB; the \(instances) cost \(format(supervisedRSS.all - restingRSS.all)) MiB"
)
func listTimes(_ count: Int, path: String = "/v1/instances") async throws -> [Double] {
    var times: [Double] = []
    for _ in 0..<count {
        let start = clock.now
        _ = try await api.send(.GET, path)
        times.append(BenchmarkSteps.seconds(clock.now - start))
    }
    return times
}
_ = try await listTimes(20)
// Alternated, so that both see the same machine.
var lists: [Double] = []
var floors: [Double] = []
for _ in 0..<200 {
    lists += try await listTimes(1)
    floors += try await listTimes(1, path: "/v1/node")
}
print(
    "   GET /v1/instances with \(instances): median \(format(BenchmarkSteps.median(lists) * 1000, 2)) ms (goal <= 1 ms), max \(format(lists.max()! * 1000, 2)) ms"
)
print(
    "   floor: GET /v1/node, one HTTP round trip through the same client and server: median \(format(BenchmarkSteps.median(floors) * 1000, 2)) ms"
)

// MARK: 4. QMP event to an SSE client

FileHandle.standardError.write(Data("4. QMP event to an SSE client ...\n".utf8))

/// Pauses and resumes `name` through its .qmp socket `count` times; the delay of each STOP and
/// RESUME from qemu's timestamp to its arrival at an SSE client.
func eventDelays(_ name: String, count: Int) async throws -> [Double] {
    var request = HTTPClientRequest(
        url: "http+unix://\(socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)/v1/events")
    request.method = .GET
    let response = try await API.client.execute(request, timeout: .seconds(600))
    var delays: [Double] = []
    let poke = Task.detached {
        let connection = try QMPConnection.connect(path: state + "/ctrl/\(name).qmp", timeout: .seconds(5))
        defer { connection.close() }
        for _ in 0..<count {
            try await Task.sleep(for: .milliseconds(50))
            _ = try connection.execute("cont")
            try await Task.sleep(for: .milliseconds(50))
            _ = try connection.execute("stop")
        }
    }
    var pending = ""
    reading: for try await chunk in response.body {
        let arrived = Date().timeIntervalSince1970
        pending += String(buffer: chunk)
        while let end = pending.range(of: "\n\n") {
            let message = pending[..<end.lowerBound]
            pending = String(pending[end.upperBound...])
            guard let data = message.split(separator: "\n").first(where: { $0.hasPrefix("data: ") })?.dropFirst(6),
                let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                object["instance"] as? String == name, let qmpTime = object["qmp_time"] as? Double
            else { continue }
            delays.append(arrived - qmpTime)
            if delays.count == count * 2 { break reading }
        }
    }
    try await poke.value
    return delays
}
let delays = try await eventDelays("many0", count: 20)
print(
    "4. QMP event (STOP/RESUME) to an SSE client, \(delays.count) events: median \(format(BenchmarkSteps.median(delays) * 1000, 2)) ms, max \(format(delays.max()! * 1000, 2)) ms (goal <= 20 ms both)"
)

// MARK: 5. one qemu flooding its events socket beside the others

FileHandle.standardError.write(Data("5. one qemu flooding its events socket beside the others ...\n".utf8))

/// Medians, ms, of another instance's operations: `GET /v1/instances/many1` (which asks its qemu
/// on the held session), and a paused start and a stop of a fresh instance.
func operationTimes(rounds: Int = 5) async throws -> (info: Double, start: Double, stop: Double) {
    var (infos, starts, stops): ([Double], [Double], [Double]) = ([], [], [])
    for _ in 0..<rounds * 4 {
        let begin = clock.now
        _ = try await api.send(.GET, "/v1/instances/many1")
        infos.append(BenchmarkSteps.seconds(clock.now - begin))
    }
    for _ in 0..<rounds {
        var begin = clock.now
        let (status, answer) = try await api.send(.POST, "/v1/instances?paused=true", spec("op1", index: 900))
        guard status == 201 else { fatalError("start of op1: \(status) \(answer)") }
        starts.append(BenchmarkSteps.seconds(clock.now - begin))
        begin = clock.now
        _ = try await api.send(.POST, "/v1/instances/op1/stop", #"{"force": true}"#)
        stops.append(BenchmarkSteps.seconds(clock.now - begin))
    }
    return (
        BenchmarkSteps.median(infos) * 1000, BenchmarkSteps.median(starts) * 1000, BenchmarkSteps.median(stops) * 1000
    )
}
// The flood needs a restart (the daemon adopts the stand-in at start): the calm figures are taken
// after one too, so that only the flood differs.
kill(daemon, SIGTERM)
waitpid(daemon, nil, 0)
try startDaemon()
usleep(500_000)
let calm = try await operationTimes()

do {
    // A stand-in with a runtime and a pid file, as a qemu the daemon adopts, whose events socket
    // sends events without end; the daemon is restarted to adopt it.
    let runtime = try String(contentsOfFile: state + "/conf/many0.runtime", encoding: .utf8)
    try runtime.write(toFile: state + "/conf/flood1.runtime", atomically: true, encoding: .utf8)
    let standIn = try ProcessSpawn.spawn(
        [
            binaries.appendingPathComponent("qmp-standin").path, "-pidfile", state + "/pid/flood1",
            state + "/ctrl/flood1.events", "flood",
        ], ProcessSpawn.Options())
    defer {
        kill(standIn, SIGKILL)
        waitpid(standIn, nil, 0)
    }
    while !FileManager.default.fileExists(atPath: state + "/ctrl/flood1.events") { usleep(10_000) }
    kill(daemon, SIGTERM)
    waitpid(daemon, nil, 0)
    try startDaemon()
    usleep(500_000)
    _ = try await listTimes(20)
    let flooded = try await listTimes(200)
    let floodedDelays = try await eventDelays("many0", count: 20)
    print("5. with one stand-in flooding its events socket beside \(instances) instances:")
    print(
        "   GET /v1/instances: median \(format(BenchmarkSteps.median(flooded) * 1000, 2)) ms (without: \(format(BenchmarkSteps.median(lists) * 1000, 2)) ms)"
    )
    print(
        "   QMP event to SSE: median \(format(BenchmarkSteps.median(floodedDelays) * 1000, 2)) ms, max \(format(floodedDelays.max()! * 1000, 2)) ms"
    )
    let stormy = try await operationTimes()
    print(
        "   another instance's operations, median with the flood (without): info \(format(stormy.info, 2)) ms (\(format(calm.info, 2))), start \(format(stormy.start)) ms (\(format(calm.start))), stop \(format(stormy.stop)) ms (\(format(calm.stop)))"
    )
    let warned = ((try? String(contentsOfFile: folder + "/daemon.log", encoding: .utf8)) ?? "").contains("faster than")
    print("   the daemon warned of the flood once: \(warned)")
}

// MARK: stop them all

let stops = try await withThrowingTaskGroup(of: Int.self) { group in
    for index in 0..<instances {
        group.addTask { try await api.send(.POST, "/v1/instances/many\(index)/stop", #"{"force": true}"#).0 }
    }
    var statuses: [Int] = []
    for try await status in group { statuses.append(status) }
    return statuses
}
_ = try? await api.send(.POST, "/v1/instances/flood1/cleanup")
let left = try await api.send(.GET, "/v1/instances").1
print("   stopped \(stops.filter { $0 == 200 }.count) of \(instances); left listed: \(left)")

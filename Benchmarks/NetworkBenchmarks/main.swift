// taphouse-netbench: bridged up of 20 NICs through the built-in Lua hook (native netlink, in
// process) side by side with Ganeti's way (a bash script per NIC forking ip and awk), both on
// real taps in a network namespace made for the run. Prints time per NIC, the ratio, and the
// processes spawned during each (from /proc/stat, system-wide: run it on a quiet machine).
// Also prints taphouse's own cost per NIC (the hook and journal against the in-memory host), the
// kernel's floor (the same requests as bare netlink calls), and the same up through a hook worker
// process (as the node runs hooks): an instance's NICs in one exchange, as a start sends them, and
// one exchange a NIC, with the round trip of one call to a worker.
// Needs root and the taphouse binary of the same build beside this one. Run:
//   swift build -c release --product taphouse && swift run -c release taphouse-netbench [state-dir]
import Foundation
import Hooks
import HostNet
import Logging
import QEMU

let nicCount = 20
let rounds = 7
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
// The journal's home: the state directory is on tmpfs in production (/run); /dev/shm stands in.
let stateDirectory =
    CommandLine.arguments.dropFirst().first { !$0.hasPrefix("--") } ?? "/dev/shm/taphouse-netbench-\(getpid())"

func ip(_ arguments: [String]) throws {
    let output = try BlockingCommand.run(["/usr/sbin/ip"] + arguments, timeout: .seconds(20))
    guard output.status == 0 else {
        throw HostNetError(.command, "ip \(arguments.joined(separator: " "))", detail: output.standardError)
    }
}

func forksSoFar() -> Int {
    let stat = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)) ?? ""
    let line = stat.split(separator: "\n").first { $0.hasPrefix("processes ") }
    return line.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
}

/// Creating or deleting 20 taps leaves kernel work (RCU callbacks, deferred frees) on the CPUs
/// for a while; each measurement starts after it, so none pays for the set-up or the one before.
func settle() { usleep(300_000) }

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let nics = (0..<nicCount).map { i in
    NICSpec(
        mac: "aa:00:00:00:00:\(i < 16 ? "0" : "")\(String(i, radix: 16))",
        uuid: "00000000-0000-4000-8000-0000000000\(i < 10 ? "0" : "")\(i)", mode: "bridged", link: "br0")
}

// taphouse's own cost, without the kernel: the same hook and journal against the in-memory
// host, 20 NICs up and down per round.
func ownCostPerNIC() throws -> Double {
    let fake = FakeHost()
    fake.addLink("br0", kind: "bridge", up: true, mtu: 1400, mac: "52:54:00:00:00:01")
    for i in 0..<nicCount { fake.addLink("tap\(i)", kind: "tun", mtu: 1500, mac: "aa:11:22:33:44:\(10 + i)") }
    let runner = NetworkHookRunner(
        directories: HookDirectories(builtin: repository + "/hooks", site: nil, library: repository + "/lua"),
        stateDirectory: stateDirectory + "/fake", logger: Logger(label: "bench"))
    let clock = ContinuousClock()
    var perRound: [Double] = []
    for _ in 0..<rounds * 5 {
        let start = clock.now
        for i in 0..<nicCount {
            try runner.up(
                instance: "fake\(i)", tags: [], nic: nics[i], index: 0, interface: "tap\(i)", network: fake, ovs: nil)
        }
        perRound.append(seconds(clock.now - start))
        for i in 0..<nicCount {
            try runner.down(
                instance: "fake\(i)", tags: [], nic: nics[i], index: 0, interface: "tap\(i)", network: fake, ovs: nil)
        }
    }
    return median(perRound) / Double(nicCount) * 1000
}

/// The taphouse binary beside this one: the hook workers' executable.
let taphouse = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent("taphouse").path
guard FileManager.default.isExecutableFile(atPath: taphouse) else {
    print("no taphouse binary at \(taphouse): build it first (swift build -c release --product taphouse)")
    exit(1)
}

/// What the worker hop costs beside the hook: encoding a NIC call and its answer both ways (as the
/// node and the worker do), and a round trip to a worker that does nothing.
func workerHop() throws -> (codec: Double, ping: Double) {
    let setup = HookWorkerSetup(
        directories: HookDirectories(builtin: repository + "/hooks", site: nil, library: repository + "/lua"),
        stateDirectory: stateDirectory)
    let request = HookWorkerRequest.nic(
        setup, NICHookCall(action: .up, instance: "bench0", tags: [], nic: nics[0], index: 0, interface: "tap0"))
    let response = HookWorkerResponse.calls(
        ["set_mac tap0 fe:11:22:33:44:55", "set_mtu tap0 9000", "set_up tap0", "set_master tap0 br0"].map {
            HookCallLine(call: $0, kind: .call)
        })
    let clock = ContinuousClock()
    let start = clock.now
    var setups: [UInt64: HookWorkerSetup] = [:]
    _ = try HookWorkerWire.decodeRequest(
        try HookWorkerWire.encode(request, setupNumber: 1, sendSetup: true), setups: &setups)
    for _ in 0..<2000 {
        let sent = try HookWorkerWire.encode(request, setupNumber: 1, sendSetup: false)
        _ = try HookWorkerWire.decodeRequest(sent, setups: &setups)
        _ = try HookWorkerWire.decodeResponse(try HookWorkerWire.encode(response))
    }
    let codec = seconds(clock.now - start) / 2000
    let pool = HookWorkerPool(.taphouse(executable: taphouse, size: 1))
    try pool.prewarm(1)
    let pingStart = clock.now
    for _ in 0..<2000 { _ = try pool.call(.ping, ceiling: .seconds(5)) }
    return (codec, seconds(clock.now - pingStart) / 2000)
}

// `--own`: only taphouse's own cost and the worker hop (no root, no kernel), for a profiler.
if CommandLine.arguments.contains("--own") {
    print(String(format: "taphouse's own cost: %.3f ms per NIC", try ownCostPerNIC()))
    let hop = try workerHop()
    print(
        String(
            format: "a NIC call and its answer, encoded and decoded: %.1f us; a ping to a worker: %.1f us",
            hop.codec * 1e6, hop.ping * 1e6))
    exit(0)
}

let namespace = "th-bench-\(getpid())"
try ip(["netns", "add", namespace])
defer { try? ip(["netns", "del", namespace]); try? FileManager.default.removeItem(atPath: stateDirectory) }
try ip(["-n", namespace, "link", "add", "br0", "type", "bridge"])
try ip(["-n", namespace, "link", "add", "up0", "type", "veth", "peer", "name", "up1"])
try ip(["-n", namespace, "link", "set", "up0", "master", "br0"])
for link in ["br0", "up0", "up1"] { try ip(["-n", namespace, "link", "set", link, "mtu", "1400", "up"]) }

struct Figures: Sendable {
    var workerSeconds: [Double] = []
    var exchangeSeconds: [Double] = []
    var pingSeconds: [Double] = []
    var rawSeconds: [Double] = []
    var batchedSeconds: [Double] = []
    var luaSeconds: [Double] = []
    var luaForks: [Int] = []
    var shellSeconds: [Double] = []
    var shellForks: [Int] = []
}

let figures = try NamespaceThread.run(in: "/var/run/netns/\(namespace)") { @Sendable () throws -> Figures in
    var figures = Figures()
    let host = try LinuxHost()
    let runner = NetworkHookRunner(
        directories: HookDirectories(builtin: repository + "/hooks", site: nil, library: repository + "/lua"),
        stateDirectory: stateDirectory, logger: Logger(label: "bench"))
    let clock = ContinuousClock()
    // The node's way: each hook call in a worker process (started in this namespace, warm).
    let workers = WorkerHooks(
        pool: HookWorkerPool(.taphouse(executable: taphouse, size: 1)),
        setup: HookWorkerSetup(
            directories: HookDirectories(builtin: repository + "/hooks", site: nil, library: repository + "/lua"),
            stateDirectory: stateDirectory + "/workers"))
    try workers.pool.prewarm(1)
    for _ in 0..<rounds {
        // The round trip alone: a request that does nothing, 200 times.
        let pingStart = clock.now
        for _ in 0..<200 { _ = try workers.pool.call(.ping, ceiling: .seconds(5)) }
        figures.pingSeconds.append(seconds(clock.now - pingStart) / 200)

        // taphouse through a worker.
        var taps = try (0..<nicCount).map { try Tap.create(name: "tap\($0)", vnetHeader: true) }
        settle()
        let workerStart = clock.now
        for (index, tap) in taps.enumerated() {
            _ = try workers.nic(
                NICHookCall(
                    action: .up, instance: "bench\(index)", tags: [], nic: nics[index], index: 0, interface: tap.name))
        }
        figures.workerSeconds.append(seconds(clock.now - workerStart))
        for (index, tap) in taps.enumerated() {
            _ = try workers.nic(
                NICHookCall(
                    action: .down, instance: "bench\(index)", tags: [], nic: nics[index], index: 0, interface: tap.name
                ))
        }
        for tap in taps { tap.close() }
        settle()

        // taphouse through a worker, the 20 calls in one exchange: how a start sends an
        // instance's NICs (the worker answers each as it ends and never waits for the node).
        taps = try (0..<nicCount).map { try Tap.create(name: "tap\($0)", vnetHeader: true) }
        settle()
        let calls = taps.enumerated().map { index, tap in
            NICHookCall(
                action: .up, instance: "bench\(index)", tags: [], nic: nics[index], index: 0, interface: tap.name)
        }
        let exchangeStart = clock.now
        let outcomes = workers.nics(calls)
        figures.exchangeSeconds.append(seconds(clock.now - exchangeStart))
        for outcome in outcomes { _ = try outcome.get() }
        for var call in calls {
            call.action = .down
            _ = try workers.nic(call)
        }
        for tap in taps { tap.close() }
        settle()

        // taphouse: one process, the built-in hook, netlink.
        taps = try (0..<nicCount).map { try Tap.create(name: "tap\($0)", vnetHeader: true) }
        settle()
        let forksBefore = forksSoFar()
        let start = clock.now
        for (index, tap) in taps.enumerated() {
            try runner.up(
                instance: "bench\(index)", tags: [], nic: nics[index], index: 0, interface: tap.name, network: host,
                ovs: nil)
        }
        figures.luaSeconds.append(seconds(clock.now - start))
        figures.luaForks.append(forksSoFar() - forksBefore)
        for (index, tap) in taps.enumerated() {
            try runner.down(
                instance: "bench\(index)", tags: [], nic: nics[index], index: 0, interface: tap.name, network: host,
                ovs: nil)
        }
        for tap in taps { tap.close() }
        settle()

        // The floors: what the hook asks of the kernel (read the tap, read the bridge, one
        // RTM_SETLINK with MAC, MTU, up and master) as bare netlink calls with no Lua and no
        // journal; and Ganeti's four steps as four requests.
        taps = try (0..<nicCount).map { try Tap.create(name: "tap\($0)", vnetHeader: true) }
        settle()
        let batchedStart = clock.now
        for tap in taps {
            let mac = try host.link(tap.name)?.mac ?? "00:00:00:00:00:00"
            let bridgeMTU = try host.link("br0")?.mtu ?? 1500
            try host.changeLink(
                tap.name, LinkChange(mac: "fe" + mac.dropFirst(2), mtu: bridgeMTU, up: true, master: .bridge("br0")))
        }
        figures.batchedSeconds.append(seconds(clock.now - batchedStart))
        for tap in taps { tap.close() }
        settle()

        taps = try (0..<nicCount).map { try Tap.create(name: "tap\($0)", vnetHeader: true) }

        settle()
        let rawStart = clock.now
        for tap in taps {
            let mac = try host.link(tap.name)?.mac ?? "00:00:00:00:00:00"
            try host.setMAC(tap.name, "fe" + mac.dropFirst(2))
            try host.setUp(tap.name, true)
            try host.setMTU(tap.name, try host.link("br0")?.mtu ?? 1500)
            try host.setMaster(tap.name, "br0")
        }
        figures.rawSeconds.append(seconds(clock.now - rawStart))
        for tap in taps { tap.close() }
        settle()

        // Ganeti: a bash script per NIC, forking ip and awk for each step (all 20 NICs under one
        // `ip netns exec`, which remounts /sys for the namespace so the script can read the MTU).
        taps = try (0..<nicCount).map { try Tap.create(name: "tap\($0)", vnetHeader: true) }
        settle()
        let loop = (0..<nicCount).map {
            "/bin/bash \(repository)/Benchmarks/NetworkBenchmarks/ganeti-bridged-up.sh tap\($0) br0"
        }
        .joined(separator: " && ")
        let shellForksBefore = forksSoFar()
        let shellStart = clock.now
        let output = try BlockingCommand.run(
            ["/usr/sbin/ip", "netns", "exec", namespace, "/bin/bash", "-c", loop], timeout: .seconds(120))
        let shellElapsed = seconds(clock.now - shellStart)
        guard output.status == 0 else {
            throw HostNetError(.command, "ganeti-bridged-up.sh", detail: output.standardError)
        }
        figures.shellForks.append(forksSoFar() - shellForksBefore)
        figures.shellSeconds.append(shellElapsed)
        guard try host.link("tap\(nicCount - 1)")?.master == "br0" else {
            throw HostNetError(.command, "the shell baseline did not enslave the taps")
        }
        for tap in taps { tap.close() }
        settle()
    }
    return figures
}

let ownPerNIC = try ownCostPerNIC()
let perNIC = { (values: [Double]) in median(values) / Double(nicCount) * 1000 }
let (luaPerNIC, shellPerNIC) = (perNIC(figures.luaSeconds), perNIC(figures.shellSeconds))
let ms = { (value: Double) in String(format: "%.3f ms", value) }
print(
    "bridged up of \(nicCount) NICs on real taps in a namespace, median of \(rounds) rounds (journal in \(stateDirectory))"
)
print(
    "  taphouse, built-in Lua hook, netlink:    \(ms(luaPerNIC)) per NIC, processes spawned: \(figures.luaForks.max() ?? 0)"
)
print(
    "  Ganeti-style bash script, fork per step: \(ms(shellPerNIC)) per NIC, processes spawned: \(median(figures.shellForks.map(Double.init)))"
)
print(
    "  floor, the hook's requests as bare netlink calls: \(ms(perNIC(figures.batchedSeconds))) per NIC (hook + journal add \(ms(luaPerNIC - perNIC(figures.batchedSeconds))))"
)
print("  taphouse's own cost (the same hook and journal on the in-memory host): \(ms(ownPerNIC)) per NIC")
print("  floor, Ganeti's 4 steps as 4 bare netlink requests: \(ms(perNIC(figures.rawSeconds))) per NIC")
let floorPerNIC = perNIC(figures.batchedSeconds)
let (workerPerNIC, exchangePerNIC) = (perNIC(figures.workerSeconds), perNIC(figures.exchangeSeconds))
print("  ratio, in process: \(String(format: "%.1f", shellPerNIC / luaPerNIC))x faster than the shell")
print("through hook workers (how the node runs hooks):")
print(
    "  the 20 NICs in one exchange with a worker (as a start sends them): \(ms(exchangePerNIC)) per NIC, \(String(format: "%.2f", exchangePerNIC / floorPerNIC))x the floor (goal <= 1.5x), \(String(format: "%.1f", shellPerNIC / exchangePerNIC))x faster than the shell (goal >= 50x)"
)
print(
    "  one exchange a NIC (a single NIC's call, as hot-plug and hooks run make): \(ms(workerPerNIC)) per NIC, \(String(format: "%.2f", workerPerNIC / floorPerNIC))x the floor"
)
print(
    "  a worker's round trip (one call that does nothing): \(String(format: "%.1f", median(figures.pingSeconds) * 1e6)) us; one exchange adds \(ms(exchangePerNIC - luaPerNIC)) per NIC over the hook in process, one a NIC \(ms(workerPerNIC - luaPerNIC))"
)
print(
    "  the shell's own floor at 50x: \(ms(shellPerNIC / 50)) per NIC, \(String(format: "%.2f", shellPerNIC / 50 / floorPerNIC))x the kernel's floor"
)

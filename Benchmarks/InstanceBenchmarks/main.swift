// taphouse-instancebench: `taphouse instance start --paused` of a diskless instance with two
// bridged NICs (taps, the built-in Lua hook, qemu, QMP) side by side with launching qemu directly
// with the same argv on two pre-made taps already on the bridge, each run through
// `ip netns exec` in a namespace made for the run. Prints medians and the ratio (goal <= 1.15x),
// and the floor: taphouse's own process start added to the direct launch. Needs root and qemu.
// Run: swift build -c release --static-swift-stdlib --product taphouse && swift build -c release
// --static-swift-stdlib --product taphouse-instancebench && .build/release/taphouse-instancebench
import Foundation
import HostNet
import TestSupport

let rounds = 9
let folder = "/tmp/th-ibench-\(getpid())"
let namespace = "th-ibench-\(getpid())"
let taphouse = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    .appendingPathComponent("taphouse").path
let qemu = "/usr/bin/qemu-system-x86_64"
// TCG where KVM cannot run guests (kvm_pvm) or is absent; a paused qemu runs no guest code either way.
let tcg = BenchmarkSteps.tcg

try FileManager.default.createDirectory(atPath: folder + "/site", withIntermediateDirectories: true)
try BenchmarkSteps.ip(["netns", "add", namespace])
defer {
    try? BenchmarkSteps.ip(["netns", "del", namespace])
    try? FileManager.default.removeItem(atPath: folder)
}
try BenchmarkSteps.ip(["-n", namespace, "link", "add", "br0", "type", "bridge"])
try BenchmarkSteps.ip(["-n", namespace, "link", "set", "br0", "up"])

let spec = """
    {"name": "bench1", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31",
     "hvparams": {"kvm_path": "\(qemu)", "serial_console": false\(tcg ? ", \"kvm_flag\": \"disabled\"" : "")},
     "beparams": {"maxmem": 128, "vcpus": 1}, "disks": [],
     "nics": [
       {"mac": "52:54:00:00:00:01", "uuid": "003fc157-66a8-4e6d-8b7e-ec4f69751390", "nicparams": {"mode": "bridged", "link": "br0"}},
       {"mac": "52:54:00:00:00:02", "uuid": "113fc157-66a8-4e6d-8b7e-ec4f69751391", "nicparams": {"mode": "bridged", "link": "br0"}}]}
    """
try Data(spec.utf8).write(to: URL(fileURLWithPath: folder + "/bench1.json"))
let common = ["--state-dir", folder + "/state", "--hooks-dir", folder + "/site"]

// The same argv taphouse runs, for the direct launch: the plan, the NICs on taps by name, -S.
let plan = try BenchmarkSteps.run(
    [taphouse, "plan", "--spec", folder + "/bench1.json", "--state-dir", folder + "/direct"], "taphouse plan")
let planned = plan.standardOutput.split(separator: "\n").map(String.init)
var direct = planned
for (index, mac) in ["52:54:00:00:00:01", "52:54:00:00:00:02"].enumerated() {
    let id = "nic-\(index)"
    direct += [
        "-netdev", "tap,id=\(id),ifname=bench\(index),script=no,downscript=no",
        "-device", "virtio-net-pci,mac=\(mac),netdev=\(id),id=\(id),bus=pci.0,addr=0x\(12 + index)",
    ]
}
direct.append("-S")
try FileManager.default.createDirectory(atPath: folder + "/direct/pid", withIntermediateDirectories: true)
try FileManager.default.createDirectory(atPath: folder + "/direct/ctrl", withIntermediateDirectories: true)

let clock = ContinuousClock()
var taphouseTimes: [Double] = []
var directTimes: [Double] = []
var startTimes: [Double] = []
// One start first, unmeasured: it fills taphouse's qemu probe cache, as on a node that ran one.
try BenchmarkSteps.run(
    [
        "/usr/sbin/ip", "netns", "exec", namespace, taphouse, "instance", "start", "--spec", folder + "/bench1.json",
        "--paused",
    ] + common, "warm-up start")
try BenchmarkSteps.run(
    ["/usr/sbin/ip", "netns", "exec", namespace, taphouse, "instance", "stop", "bench1", "--force"] + common, "stop")
for _ in 0..<rounds {
    usleep(200_000)
    let start = clock.now
    try BenchmarkSteps.run(
        [
            "/usr/sbin/ip", "netns", "exec", namespace, taphouse, "instance", "start", "--spec",
            folder + "/bench1.json", "--paused",
        ]
            + common, "taphouse instance start")
    taphouseTimes.append(BenchmarkSteps.seconds(clock.now - start))
    try BenchmarkSteps.run(
        ["/usr/sbin/ip", "netns", "exec", namespace, taphouse, "instance", "stop", "bench1", "--force"] + common, "stop"
    )

    directTimes.append(
        try BenchmarkSteps.launchDirectly(direct, namespace: namespace, pidFile: folder + "/direct/pid/bench1", taps: 2)
    )

    // The floor: what starting the taphouse process alone costs, through the same ip netns exec.
    let versionStart = clock.now
    try BenchmarkSteps.run(["/usr/sbin/ip", "netns", "exec", namespace, taphouse, "--version"], "taphouse --version")
    startTimes.append(BenchmarkSteps.seconds(clock.now - versionStart))
}
let (ours, theirs) = (BenchmarkSteps.median(taphouseTimes) * 1000, BenchmarkSteps.median(directTimes) * 1000)
let netnsExec = try {
    var times: [Double] = []
    for _ in 0..<rounds {
        let start = clock.now
        try BenchmarkSteps.run(["/usr/sbin/ip", "netns", "exec", namespace, "/bin/true"], "ip netns exec true")
        times.append(BenchmarkSteps.seconds(clock.now - start))
    }
    return BenchmarkSteps.median(times) * 1000
}()
let processStart = BenchmarkSteps.median(startTimes) * 1000 - netnsExec
print("start of a paused diskless instance with 2 bridged NICs, median of \(rounds) (\(tcg ? "TCG" : "KVM"))")
print("  taphouse instance start --paused:         \(String(format: "%.1f", ours)) ms (taps, hooks, qemu, QMP)")
print("  qemu launched directly, pre-made taps:    \(String(format: "%.1f", theirs)) ms")
print("  ratio: \(String(format: "%.2f", ours / theirs))x (goal <= 1.15x)")
print("  floor: taphouse's process start (--version, less ip netns exec) on top of the direct launch:")
print(
    "    \(String(format: "%.1f", processStart)) ms + \(String(format: "%.1f", theirs)) ms = "
        + "\(String(format: "%.2f", (theirs + processStart) / theirs))x before taphouse does any work")

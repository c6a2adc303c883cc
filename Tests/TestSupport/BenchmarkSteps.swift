import Foundation
import HostNet

/// What the benchmarks that drive a node share: commands that must succeed, `ip`, and the
/// figures' arithmetic.
public enum BenchmarkSteps {
    /// Runs `argv`; a non-zero exit is an error naming `what` with the command's stderr.
    @discardableResult
    public static func run(
        _ argv: [String], _ what: String, timeout: Duration = .seconds(120)
    ) throws
        -> CommandRunner.Output
    {
        let output = try BlockingCommand.run(argv, timeout: timeout)
        guard output.status == 0 else { throw HostNetError(.command, what, detail: output.standardError) }
        return output
    }

    public static func ip(_ arguments: [String]) throws {
        try run(["/usr/sbin/ip"] + arguments, "ip " + arguments.joined(separator: " "))
    }

    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    public static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Whether guests run under TCG here: KVM that cannot run a guest (kvm_pvm) or no KVM.
    public static var tcg: Bool {
        FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm")
            || !(FileManager.default.fileExists(atPath: "/sys/module/kvm_intel")
                || FileManager.default.fileExists(atPath: "/sys/module/kvm_amd"))
    }

    /// The baseline of a start: qemu launched directly with `argv` (which names taps `bench0`,
    /// `bench1`, ...) on `taps` taps made beforehand on `br0` in `namespace`, through
    /// `ip netns exec`; its seconds. qemu (by its pid file) and the taps go afterwards.
    public static func launchDirectly(_ argv: [String], namespace: String, pidFile: String, taps: Int) throws -> Double
    {
        for index in 0..<taps {
            try ip(["-n", namespace, "tuntap", "add", "dev", "bench\(index)", "mode", "tap"])
            try ip(["-n", namespace, "link", "set", "bench\(index)", "master", "br0", "up"])
        }
        usleep(200_000)
        let clock = ContinuousClock()
        let start = clock.now
        try run(["/usr/sbin/ip", "netns", "exec", namespace] + argv, "qemu")
        let took = seconds(clock.now - start)
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
            while kill(pid, 0) == 0 { usleep(5_000) }
        }
        for index in 0..<taps { try ip(["-n", namespace, "link", "del", "bench\(index)"]) }
        return took
    }
}

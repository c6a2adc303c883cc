import Foundation

/// The qemu of an instance, found through its pid file and recognised through
/// `/proc/PID/cmdline` (it must name the same pid file), so a recycled pid is never taken for it.
struct QemuProcess {
    let pid: pid_t

    /// The running qemu whose pid file is `pidFile`, or nil.
    static func find(pidFile: String) -> QemuProcess? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        else { return nil }
        let process = QemuProcess(pid: pid)
        return process.isAlive && process.arguments.contains(pidFile) ? process : nil
    }

    /// Its argv, from /proc (empty once it is gone).
    var arguments: [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Alive and not a zombie.
    var isAlive: Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        // The state follows the parenthesised command name: "123 (qemu) S ...".
        guard let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != nil && state != "Z" && state != "X"
    }

    /// Waits until it is gone, up to `timeout`; true if it went.
    func waitForExit(_ timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while isAlive {
            if ContinuousClock.now >= deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// SIGTERM, then SIGKILL if it has not gone after `grace`.
    func terminate(grace: Duration) -> Bool {
        kill(pid, SIGTERM)
        if waitForExit(grace) { return true }
        kill(pid, SIGKILL)
        return waitForExit(.seconds(10))
    }
}

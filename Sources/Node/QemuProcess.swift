import Foundation
import HostNet

/// The qemu of an instance, found through its pid file and recognised through
/// `/proc/PID/cmdline` (it must name the same pid file), so a recycled pid is never taken for it.
struct QemuProcess {
    let pid: pid_t

    /// The running qemu whose pid file is `pidFile`, or nil.
    ///
    /// The file's text is not trusted alone: a pid file cut short or overwritten must not hide a
    /// qemu that runs (it would be reported stopped and left running with its taps). qemu holds a
    /// lock on its pid file for its whole life, so the holder is asked of the kernel
    /// (`F_GETLK`); and where the text is no pid at all, a process whose argv names the file is
    /// looked for.
    static func find(pidFile: String) -> QemuProcess? {
        guard let data = FileManager.default.contents(atPath: pidFile) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let named = pid_t(text).flatMap { $0 > 0 ? QemuProcess(pid: $0) : nil }
        if let named, named.runs(pidFile) { return named }
        if let holder = lockHolder(pidFile), holder.runs(pidFile) { return holder }
        return named == nil ? naming(pidFile) : nil
    }

    /// Alive and started with `pidFile` as its pid file.
    private func runs(_ pidFile: String) -> Bool {
        guard isAlive else { return false }
        let argv = arguments
        return zip(argv, argv.dropFirst()).contains { $0 == "-pidfile" && $1 == pidFile }
    }

    /// The process holding a lock on `path` (qemu's `lockf` on its pid file), as the kernel says.
    private static func lockHolder(_ path: String) -> QemuProcess? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        guard fcntl(fd, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK), lock.l_pid > 0 else { return nil }
        return QemuProcess(pid: lock.l_pid)
    }

    /// A process whose argv names `pidFile` as its pid file: the last resort, a walk of /proc.
    private static func naming(_ pidFile: String) -> QemuProcess? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.lazy.compactMap { pid_t($0) }.map { QemuProcess(pid: $0) }.first { $0.runs(pidFile) }
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

    /// Waits until it is gone, up to `timeout`; true if it went. The kernel says when (a
    /// pidfd), so nothing spins meanwhile.
    func waitForExit(_ timeout: Duration) -> Bool {
        ProcessExit.wait(pid, timeout: timeout) { !isAlive }
    }

    /// SIGTERM, then SIGKILL if it has not gone after `grace`.
    func terminate(grace: Duration) -> Bool {
        kill(pid, SIGTERM)
        if waitForExit(grace) { return true }
        kill(pid, SIGKILL)
        return waitForExit(.seconds(10))
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real qemu with nothing in it (`-machine none -S`), daemonized, with its QMP socket in a
/// short temporary folder. Tests kill it in a `defer` with ``kill()``.
final class TestQemu {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let binary = "/usr/bin/qemu-system-x86_64"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let folder = ShortTemporaryFolder()
    let socketPath: String
    /// A second QMP socket, as an instance's `.events` beside its `.qmp`.
    let eventsPath: String
    let pid: pid_t

    init() throws {
        socketPath = folder.path + "/t.qmp"
        eventsPath = folder.path + "/t.events"
        let pidFile = folder.path + "/pid"
        let logFile = folder.path + "/log"
        let argv = [
            Self.binary, "-machine", "none", "-display", "none", "-nodefaults", "-S",
            "-qmp", "unix:\(socketPath),server=on,wait=off", "-qmp", "unix:\(eventsPath),server=on,wait=off",
            "-daemonize", "-pidfile", pidFile,
        ]
        // posix_spawn and waitpid, not Foundation's Process: its waitUntilExit was seen to hang
        // here when several tests ran qemu at once, with the exited parent left a zombie.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        // A file, not a pipe: the daemon could hold a pipe's write end open after its parent exits.
        posix_spawn_file_actions_addopen(&actions, 2, logFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var parent: pid_t = 0
        let spawned = posix_spawn(&parent, Self.binary, &actions, nil, &arguments, environ)
        guard spawned == 0 else { throw Failure(description: "posix_spawn \(Self.binary): errno \(spawned)") }
        // The parent exits once the daemon has set up the socket and written the pidfile.
        var status: Int32 = 0
        while waitpid(parent, &status, 0) < 0 && errno == EINTR {}
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(description: "qemu exited with wait status \(status): \(log)")
        }
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failure(description: "bad pidfile \(pidFile): \(text)")
        }
        self.pid = pid
    }

    /// SIGKILL, so that nothing of the test's qemu outlives it, whatever state the test left.
    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Waits up to `timeout` for the process to be gone, or to be a zombie nobody reaps (the
    /// daemon's parent has exited, and a container's init may not reap). A leader shown as a
    /// zombie is not enough: its other threads may still be exiting, with the sockets open.
    func waitForExit(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if Glibc.kill(pid, 0) != 0 { return true }
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            if tasks == ["\(pid)"], let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                stat.split(separator: ")").last?.split(separator: " ").first == "Z"
            {
                return true
            }
            usleep(10_000)
        }
        return false
    }
}

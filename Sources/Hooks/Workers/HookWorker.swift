import Foundation
import HostNet

#if canImport(Glibc)
import Glibc
#endif

/// One hook worker process, as the node sees it: its pid (the leader of a process group of its
/// own, so that what it starts dies with it), its channel, and the network namespace it runs in.
final class HookWorker {
    let pid: pid_t
    let channel: FrameChannel
    let namespace: NamespaceKey
    /// The setups this worker was sent in full (by their wire numbers).
    var knownSetups: Set<UInt64> = []
    private var reaped = false

    /// The network namespace of the calling thread: a worker acts on the namespace it was started
    /// in (a child inherits its creating thread's), so workers are kept per namespace.
    struct NamespaceKey: Hashable {
        var device: UInt64
        var inode: UInt64

        static func current() -> NamespaceKey {
            var info = stat()
            guard stat("/proc/thread-self/ns/net", &info) == 0 else { return NamespaceKey(device: 0, inode: 0) }
            return NamespaceKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        }
    }

    private init(pid: pid_t, channel: FrameChannel, namespace: NamespaceKey) {
        self.pid = pid
        self.channel = channel
        self.namespace = namespace
    }

    deinit { terminate() }

    /// Starts `argv` (the file `executable` when given) with its end of a new channel as fd 3, in
    /// a process group of its own.
    static func spawn(_ argv: [String], executable: String? = nil) throws(HookWorkerFailure) -> HookWorker {
        do {
            let (ours, theirs) = try FrameChannel.pair()
            defer { theirs.close() }
            let pid = try ProcessSpawn.spawn(
                argv,
                ProcessSpawn.Options(
                    environment: HookWorkerPool.Configuration.environment, passing: [theirs.fd],
                    newProcessGroup: true, executable: executable))
            return HookWorker(pid: pid, channel: ours, namespace: .current())
        } catch {
            throw HookWorkerFailure(.broken("cannot start \(argv.joined(separator: " ")): \(error)"))
        }
    }

    /// Sends a request and waits for the answer until `deadline`.
    func exchange(_ request: [UInt8], deadline: ContinuousClock.Instant) throws(FrameChannel.Failure) -> [UInt8] {
        try channel.send(request, deadline: deadline)
        return try channel.receive(deadline: deadline)
    }

    /// Kills the worker and everything it started, and reaps it; how it ended. The worker is
    /// stopped first, so that it starts nothing more while its descendants are found: a command
    /// a hook runs leads a process group of its own, out of the worker's.
    @discardableResult
    func terminate() -> String {
        guard !reaped else { return "gone" }
        kill(pid, SIGSTOP)
        for descendant in ProcessGroup.descendants(of: pid) {
            kill(-descendant, SIGKILL)
            kill(descendant, SIGKILL)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        return reap()
    }

    /// Whether the worker ended while it waited idle (killed by the OOM killer or an admin): it
    /// is reaped then. An idle worker writes nothing, and its end of the channel is its alone
    /// (what it starts gets no descriptor of it), so its end closes as its last thread exits:
    /// one poll tells, where reading `/proc/PID/stat` on each call cost four system calls. A
    /// worker still dying as a call comes (its leader a zombie, a thread not yet gone) fails
    /// that call as died, as one killed a moment later would.
    func endedWhileIdle() -> Bool {
        guard !reaped else { return true }
        var entry = pollfd(fd: channel.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 0) > 0 else { return false }
        reap()
        return true
    }

    /// Waits for the worker's end (after it closed its channel); how it ended.
    @discardableResult
    func reap() -> String {
        guard !reaped else { return "gone" }
        reaped = true
        channel.close()
        // What it started goes with it.
        for descendant in ProcessGroup.descendants(of: pid) {
            kill(-descendant, SIGKILL)
            kill(descendant, SIGKILL)
        }
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if status & 0x7f == 0 { return "exit status \((status >> 8) & 0xff)" }
        return Self.describe(signal: status & 0x7f)
    }

    static func describe(signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGBUS: "SIGBUS", SIGILL: "SIGILL",
            SIGFPE: "SIGFPE", SIGTERM: "SIGTERM", SIGTRAP: "SIGTRAP",
        ]
        return "signal \(signal)" + (names[signal].map { " (\($0))" } ?? "")
    }
}

import Foundation
import SystemPackage

/// One operation per instance at a time: an exclusive `flock` on `lock/<instance>`. The kernel
/// drops it when the process dies, so a killed taphouse never leaves an instance locked.
///
/// The file lives only while an operation holds it: the holder unlinks it before letting go, so
/// that a name tried once (an instance that never existed) leaves nothing. A taker therefore
/// checks, once it has the lock, that the file it locked is still the one at the path (not an
/// unlinked one a waiter opened before the unlink), and tries again on the new one if not.
final class InstanceLock {
    private let descriptor: FileDescriptor
    private let path: String

    private init(_ descriptor: FileDescriptor, _ path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock, waiting up to `timeout` for another operation on the instance to end.
    ///
    /// The wait is the kernel's, not a retry on a timer: a holder lets go by closing the file
    /// (or by dying, which closes it), and inotify says so (`IN_CLOSE`), which is when the lock
    /// is tried again. The watch is set before the lock is tried again, so a release between the
    /// two is not missed.
    static func acquire(_ path: String, timeout: Duration) throws(NodeError) -> InstanceLock {
        let deadline = ContinuousClock.now + timeout
        while true {
            let descriptor = try lockOpened(path, until: deadline)
            if isStillAt(path, descriptor) { return InstanceLock(descriptor, path) }
            // The holder unlinked it as it let go: the next taker locks the new file.
            try? descriptor.close()
        }
    }

    /// `path` opened (created where it is not) and locked, waiting until `deadline`.
    private static func lockOpened(
        _ path: String, until deadline: ContinuousClock.Instant
    ) throws(NodeError)
        -> FileDescriptor
    {
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path), .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite])
        } catch {
            throw NodeError(.file, "\(path): cannot open the lock: \(error)")
        }
        if flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 { return descriptor }
        let closes = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if closes >= 0 { close(closes) } }
        // The watch is on the file opened (through its descriptor), not on whatever the path
        // names by then: a holder unlinks the file before it closes it.
        let watched =
            closes >= 0
            && inotify_add_watch(
                closes, "/proc/self/fd/\(descriptor.rawValue)", UInt32(IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) >= 0
        while flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            let remaining = deadline - ContinuousClock.now
            guard errno == EWOULDBLOCK || errno == EINTR, remaining > .zero else {
                try? descriptor.close()
                throw NodeError(.file, "another operation on this instance holds \(path)")
            }
            guard watched else {
                // No inotify (out of watches): a retry every 20 ms is what is left.
                usleep(20_000)
                continue
            }
            var ready = pollfd(fd: closes, events: Int16(POLLIN), revents: 0)
            let milliseconds =
                remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
            _ = poll(&ready, 1, Int32(clamping: max(milliseconds, 1)))
            var drain = [UInt8](repeating: 0, count: 4096)
            while read(closes, &drain, drain.count) > 0 {}
        }
        return descriptor
    }

    /// Whether the file `descriptor` has open is the one at `path` now.
    private static func isStillAt(_ path: String, _ descriptor: FileDescriptor) -> Bool {
        var opened = stat()
        var named = stat()
        guard fstat(descriptor.rawValue, &opened) == 0, stat(path, &named) == 0 else { return false }
        return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino
    }

    /// Removes the lock files in `folder` that no one holds: a process killed while it held one
    /// had no chance to. Each is taken first, so one an operation holds is left alone.
    static func sweep(_ folder: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            _ = try? acquire(folder + "/" + name, timeout: .zero)
        }
    }

    deinit {
        // Unlinked while still held: no taker can lock this file and think it current.
        unlink(path)
        try? descriptor.close()
    }
}

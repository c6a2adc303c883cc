import Foundation
import SystemPackage

/// One operation per instance at a time: an exclusive `flock` on `lock/<instance>`. The kernel
/// drops it when the process dies, so a killed taphouse never leaves an instance locked.
final class InstanceLock {
    private let descriptor: FileDescriptor

    private init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    /// Takes the lock, waiting up to `timeout` for another operation on the instance to end.
    ///
    /// The wait is the kernel's, not a retry on a timer: a holder lets go by closing the file
    /// (or by dying, which closes it), and inotify says so (`IN_CLOSE`), which is when the lock
    /// is tried again. The watch is set before the first try, so a release between the two is
    /// not missed.
    static func acquire(_ path: String, timeout: Duration) throws(NodeError) -> InstanceLock {
        let folder = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path), .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite])
        } catch {
            throw NodeError(.file, "\(path): cannot open the lock: \(error)")
        }
        if flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 { return InstanceLock(descriptor) }
        let closes = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if closes >= 0 { close(closes) } }
        let watched =
            closes >= 0 && inotify_add_watch(closes, path, UInt32(IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) >= 0
        let deadline = ContinuousClock.now + timeout
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
        return InstanceLock(descriptor)
    }

    deinit { try? descriptor.close() }
}

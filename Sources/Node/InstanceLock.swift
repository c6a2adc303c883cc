import Foundation
import SystemPackage

/// One operation per instance at a time: an exclusive `flock` on `lock/<instance>`. The kernel
/// drops it when the process dies, so a killed taphouse never leaves an instance locked.
final class InstanceLock {
    private let descriptor: FileDescriptor

    private init(_ descriptor: FileDescriptor) { self.descriptor = descriptor }

    /// Takes the lock, waiting up to `timeout` for another operation on the instance to end.
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
        let deadline = ContinuousClock.now + timeout
        while flock(descriptor.rawValue, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, ContinuousClock.now < deadline else {
                try? descriptor.close()
                throw NodeError(.file, "another operation on this instance holds \(path)")
            }
            usleep(20_000)
        }
        return InstanceLock(descriptor)
    }

    deinit { try? descriptor.close() }
}

import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

extension FileDescriptor {
    /// fsync(2), retried on EINTR (swift-system has no wrapper for it).
    func sync() throws(Errno) {
        while fsync(rawValue) != 0 {
            let error = Errno(rawValue: errno)
            if error != .interrupted { throw error }
        }
    }
}

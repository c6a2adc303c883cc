import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The one door QMP's system calls go through: a call that fails with `EINTR` (a signal arrived)
/// is made again, and `-1` becomes the `Errno` it left, so no caller reads the global `errno`
/// itself or forgets the retry. Like swift-system's internal `valueOrErrno`.
enum Syscall {
    /// Runs `call` until it does not fail with `EINTR`; `-1` becomes the failure's errno.
    @inline(__always)
    static func result<Value: SignedInteger & FixedWidthInteger>(_ call: () -> Value) -> Result<Value, Errno> {
        while true {
            let value = call()
            guard value == -1 else { return .success(value) }
            let error = Errno(rawValue: errno)
            guard error == .interrupted else { return .failure(error) }
        }
    }
}

import CLinux
import Foundation
import Synchronization
import SystemPackage

/// Runs work inside a network namespace: on a dedicated thread that has joined the namespace
/// (`setns`), so sockets, taps and `/proc/sys/net` opened there belong to it. The rest of the
/// process stays where it was. For tests (every kernel test runs in a namespace it made) and for
/// nodes whose instances live in a namespace of their own.
public enum NamespaceThread {
    /// Runs `body` in the namespace at `path` (`/var/run/netns/NAME`) and returns its result.
    public static func run<T: Sendable>(in path: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let outcome: Result<T, any Error>
            do {
                let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
                defer { try? fd.close() }
                guard clinux_setns(fd.rawValue, CLINUX_CLONE_NEWNET) == 0 else {
                    throw HostNetError(.kernel, "enter network namespace \(path)", errno: Errno(rawValue: errno))
                }
                outcome = .success(try body())
            } catch {
                outcome = .failure(error)
            }
            result.withLock { $0 = outcome }
        }
        thread.start()
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

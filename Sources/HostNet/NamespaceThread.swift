import Foundation
import Synchronization

/// Runs work inside a network namespace: on a dedicated thread that has joined the namespace
/// (`setns`), so sockets, taps and `/proc/sys/net` opened there belong to it. The rest of the
/// process stays where it was. For tests (every kernel test runs in a namespace it made) and for
/// nodes whose instances live in a namespace of their own.
public enum NamespaceThread {
    /// Runs `body` in the namespace at `path` (`/var/run/netns/NAME`) and returns its result.
    ///
    /// `body` runs in a task that keeps the caller's task-local values, so Swift Testing's
    /// `#expect` inside it counts against the calling test. The thread ends with the call.
    public static func run<T: Sendable>(in path: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let executor = try NamespaceExecutor(namespace: path)
        defer { executor.shutDown() }
        let result = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: executor) {
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0! }.get()
    }
}

import Foundation

/// Runs work inside a network namespace: on a dedicated thread that has joined the namespace
/// (`setns`), so sockets, taps and `/proc/sys/net` opened there belong to it. The rest of the
/// process stays where it was. For tests (every kernel test runs in a namespace it made) and for
/// nodes whose instances live in a namespace of their own.
public enum NamespaceThread {
    /// Runs `body` in the namespace at `path` (`/var/run/netns/NAME`) and returns its result.
    ///
    /// `body` runs in a task that keeps the caller's task-local values, so Swift Testing's
    /// `#expect` inside it counts against the calling test. The thread ends with the call.
    /// `body` must not be isolated to an actor (a closure written in `@MainActor` code is, unless
    /// marked `@Sendable`): it runs on the namespace thread, and the runtime traps isolated code
    /// found running elsewhere.
    public static func run<T>(in path: String, _ body: () throws -> T) throws -> T {
        let executor = try NamespaceExecutor(namespace: path)
        defer { executor.shutDown() }
        return try withoutActuallyEscaping(body) { body in
            let call = Call(body)
            Task(executorPreference: executor) { call.perform() }
            call.done.wait()
            return try call.result.get()
        }
    }

    /// One call handed to the namespace thread. The body is dropped as soon as it has run, before
    /// the caller is woken, so it does not outlive `run` (hence the unchecked Sendable: the
    /// caller waits while the thread runs it).
    private final class Call<T>: @unchecked Sendable {
        private var body: (() throws -> T)?
        var result: Result<T, any Error> = .failure(
            HostNetError(.kernel, "run in a network namespace", detail: "the namespace thread did not run"))
        let done = DispatchSemaphore(value: 0)

        init(_ body: @escaping () throws -> T) { self.body = body }

        func perform() {
            if let body { result = Result { try body() } }
            body = nil
            done.signal()
        }
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A network namespace a test makes for itself, so kernel tests never touch the host's own
/// interfaces: created with `ip netns add th-test-<random>` (argv, no shell), deleted with
/// `ip netns delete` by ``close()`` or when released. Nothing is killed on deletion: a test closes
/// its own fds (taps, sockets) first; a namespace still pinned by an open fd lives on, nameless,
/// until that fd closes.
///
/// Work happens inside with ``run(_:)``, on a thread that has joined the namespace. What that
/// thread opens belongs to the namespace: netlink sockets, taps, and `/proc/sys/net`, which
/// shows the namespace of the thread that opens it. `/sys/class/net` does not: sysfs shows the
/// namespace of whoever mounted it, whatever thread reads it.
public final class NetworkNamespace: @unchecked Sendable {
    /// A failed `ip` command or system call, with what was asked and what came back.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `th-test-` and eight random hex digits.
    public let name: String
    private let lock = NSLock()
    private var deleted = false

    /// Where `ip netns add` binds the namespace.
    public var path: String { "/var/run/netns/" + name }

    /// The `ip` used to make and delete namespaces (and that tests may use for set-up).
    public static let ipPath = "/usr/sbin/ip"

    /// Why namespaces cannot be used here (not root, no `ip`, or making one fails), or nil.
    public static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "needs root to create network namespaces" }
        guard FileManager.default.isExecutableFile(atPath: ipPath) else { return "needs \(ipPath) (iproute2)" }
        do {
            let probe = try NetworkNamespace()
            defer { probe.close() }
            try probe.run {}
            return nil
        } catch {
            return "cannot create and enter a network namespace: \(error)"
        }
    }()

    /// Whether kernel tests can run here; use with `.enabled(if:)` and ``unavailableReason``.
    public static var isAvailable: Bool { unavailableReason == nil }

    /// Creates the namespace (`ip netns add`).
    public init() throws {
        name = "th-test-" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        try Self.ip(["netns", "add", name])
    }

    deinit { close() }

    /// Deletes the namespace (`ip netns delete`); safe to call more than once.
    public func close() {
        let first = lock.withLock {
            defer { deleted = true }
            return !deleted
        }
        if first { _ = try? Self.ip(["netns", "delete", name]) }
    }

    /// Runs `ip -n NAME ARGS...` (test set-up: a bridge, a veth pair), returning its output.
    @discardableResult
    public func ip(_ arguments: [String]) throws -> String {
        try Self.ip(["-n", name] + arguments)
    }

    /// Runs `body` on a new thread that has joined the namespace (`setns`), waits for it and
    /// returns its result. The thread ends after `body`, so no pooled thread is ever left in the
    /// namespace.
    ///
    /// `body` runs inside a task that inherits the caller's task-local values (through a task
    /// executor that owns the thread), so Swift Testing's `#expect` and `#require` inside it are
    /// recorded against the calling test rather than against no test at all.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let executor = try Executor(namespace: path)
        defer { executor.shutDown() }
        return try withoutActuallyEscaping(body) { body in
            let call = Call(body)
            Task(executorPreference: executor) { call.perform() }
            call.done.wait()
            return try call.result.get()
        }
    }

    /// One call of a `run` body, handed to the namespace thread. The body is dropped as soon as it
    /// has run, before the caller is woken, so it provably does not outlive `run`.
    private final class Call<T>: @unchecked Sendable {
        private var body: (() throws -> T)?
        var result: Result<T, any Error> = .failure(Failure(description: "the namespace thread did not run"))
        let done = DispatchSemaphore(value: 0)

        init(_ body: @escaping () throws -> T) { self.body = body }

        func perform() {
            if let body { result = Result { try body() } }
            body = nil
            done.signal()
        }
    }

    /// A task executor with one thread of its own, which joins the namespace before it runs
    /// anything and ends at ``shutDown()``.
    private final class Executor: TaskExecutor, @unchecked Sendable {
        private let condition = NSCondition()
        private var jobs: [UnownedJob] = []
        private var stopping = false
        private var thread = pthread_t()
        private let namespace: String
        private var setUpError: Failure?
        private let ready = DispatchSemaphore(value: 0)

        init(namespace: String) throws {
            self.namespace = namespace
            let context = Unmanaged.passRetained(self).toOpaque()
            let created = pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<Executor>.fromOpaque(context!).takeRetainedValue().main()
                    return nil
                }, context)
            guard created == 0 else {
                Unmanaged<Executor>.fromOpaque(context).release()
                throw Failure(description: "pthread_create: \(String(cString: strerror(created)))")
            }
            ready.wait()
            if let setUpError {
                pthread_join(thread, nil)
                throw setUpError
            }
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            condition.withLock {
                jobs.append(job)
                condition.signal()
            }
        }

        /// Lets the thread finish what is queued, then waits for it to end.
        func shutDown() {
            condition.withLock {
                stopping = true
                condition.signal()
            }
            pthread_join(thread, nil)
        }

        private func main() {
            let fd = Glibc.open(namespace, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                setUpError = Failure(description: "open \(namespace): \(NetworkNamespace.errorText())")
            } else {
                defer { _ = Glibc.close(fd) }
                if let setns = NetworkNamespace.setns() {
                    // CLONE_NEWNET (sched.h, only with _GNU_SOURCE, which Swift's Glibc lacks).
                    if setns(fd, 0x4000_0000) != 0 {
                        setUpError = Failure(description: "setns \(namespace): \(NetworkNamespace.errorText())")
                    }
                } else {
                    setUpError = Failure(description: "setns is not in this C library")
                }
            }
            ready.signal()
            if setUpError != nil { return }
            while true {
                condition.lock()
                while jobs.isEmpty && !stopping { condition.wait() }
                if jobs.isEmpty {
                    condition.unlock()
                    return
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
    }

    /// `setns(2)`, looked up at run time: glibc declares it only under _GNU_SOURCE.
    fileprivate static func setns() -> (@convention(c) (Int32, Int32) -> Int32)? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return nil }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }

    fileprivate static func errorText() -> String { String(cString: strerror(errno)) }

    @discardableResult
    private static func ip(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ipPath)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        do {
            try process.run()
        } catch {
            throw Failure(description: "ip \(arguments.joined(separator: " ")): \(error)")
        }
        // Read before waiting, so the command never blocks on a full pipe (ip says little on stderr).
        let standardOutput = output.fileHandleForReading.readDataToEndOfFile()
        let standardError = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "ip \(arguments.joined(separator: " ")): exit \(process.terminationStatus): "
                    + String(decoding: standardError, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: standardOutput, as: UTF8.self)
    }
}

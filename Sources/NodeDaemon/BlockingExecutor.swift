import Foundation

/// Threads of the daemon's own for the work that blocks (Lua hooks in their workers, netlink,
/// spawning and waiting for qemu, QMP round trips, file I/O): a task run with this executor as
/// its preference keeps the cooperative pool and Hummingbird's event loops free, so one slow
/// instance never stalls the API. Several threads, so different instances proceed in parallel;
/// operations on one instance are serialised above this (``InstanceRegistry``).
final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var threads: [Thread] = []

    init(threads count: Int) {
        for index in 0..<count {
            let thread = Thread { [unowned self] in self.main() }
            thread.name = "taphouse blocking \(index)"
            threads.append(thread)
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// Runs `body` on one of the threads.
    func run<T: Sendable, E: Error>(_ body: @Sendable () async throws(E) -> T) async throws(E) -> T {
        try await withTaskExecutorPreference(self) { () async throws(E) -> T in try await body() }
    }

    private func main() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

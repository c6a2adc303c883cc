import CLinux
import Foundation
import SystemPackage

/// A task executor with one thread of its own, which joins a network namespace (`setns`) before
/// it runs anything and ends at ``shutDown()``. Work is handed to it as a task with this executor
/// as preference, so it keeps the caller's task-local values (a test's context, a logger's
/// metadata) while it runs inside the namespace.
final class NamespaceExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var thread = pthread_t()
    private let path: String
    private var setUpError: HostNetError?
    private let ready = DispatchSemaphore(value: 0)

    /// Starts the thread and waits until it is in the namespace at `path`.
    init(namespace path: String) throws(HostNetError) {
        self.path = path
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<NamespaceExecutor>.fromOpaque(context!).takeRetainedValue().main()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<NamespaceExecutor>.fromOpaque(context).release()
            throw HostNetError(.kernel, "start a thread for \(path)", errno: Errno(rawValue: created))
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
        do throws(HostNetError) {
            let fd: FileDescriptor
            do {
                fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            } catch {
                throw HostNetError(.kernel, "open network namespace \(path)", errno: error as? Errno)
            }
            defer { try? fd.close() }
            _ = try Syscall.check("enter network namespace \(path)") { clinux_setns(fd.rawValue, CLINUX_CLONE_NEWNET) }
        } catch {
            setUpError = error
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

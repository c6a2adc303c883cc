import Foundation
import HostNet

#if canImport(Glibc)
import Glibc
#endif

/// The hook worker processes of a node: what no check inside a process can stop (a C call that
/// loops, a bug in Lua's C code, a segfault) costs one worker, never the node.
///
/// Each call takes an idle worker started in the calling thread's network namespace (or starts
/// one, up to ``Configuration/size`` workers), sends it the request and waits for the answer up
/// to the call's ceiling. A worker still running then is killed with everything it started; a
/// worker that dies is reaped; either way the call fails with a ``HookWorkerFailure`` and the
/// next call gets a new worker. Workers keep their warm Lua states between calls.
///
/// Thread-safe: calls from several threads run on different workers at once.
public final class HookWorkerPool: @unchecked Sendable {
    /// How workers are started and bounded.
    public struct Configuration: Sendable {
        /// The worker command: an executable that serves ``HookWorkerServer`` on fd 3.
        public var argv: [String]
        /// The most workers alive at once.
        public var size: Int
        /// Each worker's data size limit (RLIMIT_DATA, which its command line passes on).
        public var memoryBytes: Int
        /// How long past a call's Lua time budget its worker may take before it is killed: the
        /// budget stops Lua code inside the worker; the kill is for what the budget cannot stop.
        public var grace: Duration
        /// The file run, when it is not `argv[0]`.
        public var executable: String?

        public init(
            argv: [String], size: Int = 4, memoryBytes: Int = 1 << 30, grace: Duration = .seconds(1),
            executable: String? = nil
        ) {
            self.argv = argv
            self.executable = executable
            self.size = max(1, size)
            self.memoryBytes = memoryBytes
            self.grace = grace
        }

        /// taphouse's own worker: `taphouse hooks worker` of the executable given, or by default
        /// of this process's own binary, run as `/proc/self/exe` (named by its path in `ps`): a
        /// package upgrade replaces `/usr/bin/taphouse` under a running daemon, and a worker it
        /// starts after that must still speak its version, until the daemon restarts.
        public static func taphouse(
            executable: String? = nil, size: Int = 4, memoryBytes: Int = 1 << 30
        ) -> Configuration {
            Configuration(
                argv: [executable ?? ownExecutable, "hooks", "worker", "--memory-mb", String(memoryBytes >> 20)],
                size: size, memoryBytes: memoryBytes, executable: executable == nil ? "/proc/self/exe" : nil)
        }

        /// What a worker starts with: a fixed PATH, and Swift's crash backtracer off, so that a
        /// worker that crashes dies at once (the node reports how), instead of symbolicating, or
        /// outliving a signal it was sent.
        public static let environment = ProcessSpawn.defaultEnvironment + ["SWIFT_BACKTRACE=enable=no"]

        /// The running executable's path (the link `/proc/self/exe` points at, without the
        /// ` (deleted)` the kernel adds once an upgrade replaced the file).
        public static var ownExecutable: String {
            guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
                return "/proc/self/exe"
            }
            return path.hasSuffix(" (deleted)") ? String(path.dropLast(" (deleted)".count)) : path
        }
    }

    public let configuration: Configuration
    private let condition = NSCondition()
    private var idle: [HookWorker] = []
    private var alive = 0
    /// The pids of the workers alive, idle or busy.
    private var pids: Set<pid_t> = []
    private var closed = false
    private var setupNumbers: [HookWorkerSetup: UInt64] = [:]
    /// Workers started, killed at a deadline, and found dead, since the pool was made.
    public private(set) var started = 0
    public private(set) var killed = 0
    public private(set) var died = 0

    public init(_ configuration: Configuration) { self.configuration = configuration }

    deinit { shutdown() }

    /// Sends `request` to a worker and returns its answer, or fails when the worker does not
    /// answer within `ceiling` (killed) or dies. A worker that starts waiting on a command says
    /// how long it may take, and gets that much longer, up to `maximum` after the call began.
    public func call(
        _ request: HookWorkerRequest, ceiling: Duration, maximum: Duration? = nil
    ) throws(HookWorkerFailure) -> HookWorkerResponse {
        var answer = HookWorkerResponse.refused("no answer")
        try stream(request, ceiling: ceiling, maximum: maximum) {
            answer = $0
            return false
        }
        return answer
    }

    /// Sends `request` to a worker and gives `each` its answers as they come, while `each`
    /// returns true (it returns false at the worker's last answer: the worker is then idle
    /// again). Each answer has its own `ceiling` and `maximum` from the one before, as a call
    /// of its own has: a batch of NIC calls is watched as the calls one by one would be.
    public func stream(
        _ request: HookWorkerRequest, ceiling: Duration, maximum: Duration? = nil,
        each: (HookWorkerResponse) -> Bool
    ) throws(HookWorkerFailure) {
        let worker = try checkOut()
        let payload: [UInt8]
        do {
            // A setup goes to each worker once; after that its number stands for it.
            var number: UInt64 = 0
            switch request {
            case .nic(let setup, _), .nics(let setup, _): number = self.number(of: setup)
            default: break
            }
            payload = try HookWorkerWire.encode(
                request, setupNumber: number, sendSetup: !worker.knownSetups.contains(number))
            worker.knownSetups.insert(number)
        } catch {
            checkIn(worker)
            throw HookWorkerFailure(.broken("cannot encode the request: \(error)"))
        }
        var start = ContinuousClock.now
        var deadline = start + ceiling
        do {
            var answer = try worker.exchange(payload, deadline: deadline)
            while true {
                let response: HookWorkerResponse
                do {
                    response = try HookWorkerWire.decodeResponse(answer)
                } catch {
                    retire(worker)
                    worker.terminate()
                    throw HookWorkerFailure(.broken("cannot decode its answer: \(error)"))
                }
                if case .extend(let milliseconds) = response {
                    let latest = start + max(ceiling, maximum ?? ceiling)
                    deadline = min(latest, max(deadline, .now + .milliseconds(milliseconds) + configuration.grace))
                } else {
                    guard each(response) else { break }
                    start = .now
                    deadline = start + ceiling
                }
                answer = try worker.channel.receive(deadline: deadline)
            }
        } catch let failure as HookWorkerFailure {
            throw failure
        } catch let error as FrameChannel.Failure {
            retire(worker)
            switch error {
            case .timeout:
                worker.terminate()
                count(\.killed)
                throw HookWorkerFailure(.killed(after: deadline - start))
            case .closed:
                count(\.died)
                throw HookWorkerFailure(.died(worker.reap()))
            default:
                worker.terminate()
                throw HookWorkerFailure(.broken("\(error)"))
            }
        } catch {
            retire(worker)
            worker.terminate()
            throw HookWorkerFailure(.broken("\(error)"))
        }
        checkIn(worker)
    }

    /// The number a setup goes by on the wire (the same for the pool's life).
    private func number(of setup: HookWorkerSetup) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        if let known = setupNumbers[setup] { return known }
        let number = UInt64(setupNumbers.count + 1)
        setupNumbers[setup] = number
        return number
    }

    /// Starts workers in the calling thread's namespace until `count` are idle there (a node
    /// that wants its first hook call warm).
    public func prewarm(_ count: Int) throws(HookWorkerFailure) {
        var taken: [HookWorker] = []
        defer { for worker in taken { checkIn(worker) } }
        for _ in 0..<min(count, configuration.size) { taken.append(try checkOut()) }
    }

    /// The pids of its workers, idle or busy (to watch them, as a test or a metric does).
    public var workerPIDs: [pid_t] { condition.withLock { pids.sorted() } }

    /// Ends every idle worker; busy ones end when their call returns.
    public func shutdown() {
        condition.lock()
        closed = true
        let ending = idle
        idle = []
        alive -= ending.count
        for worker in ending { pids.remove(worker.pid) }
        condition.broadcast()
        condition.unlock()
        for worker in ending { worker.terminate() }
    }

    /// An idle worker of the calling thread's namespace, or a new one.
    private func checkOut() throws(HookWorkerFailure) -> HookWorker {
        let namespace = HookWorker.NamespaceKey.current()
        condition.lock()
        while true {
            if let index = idle.lastIndex(where: { $0.namespace == namespace }) {
                let worker = idle.remove(at: index)
                // One that died idle gets no call: the call would fail for a death it had no
                // part in. It is counted out and another taken.
                if worker.endedWhileIdle() {
                    alive -= 1
                    pids.remove(worker.pid)
                    died += 1
                    continue
                }
                condition.unlock()
                return worker
            }
            if alive < configuration.size || !idle.isEmpty {
                // Room for one more; an idle worker of another namespace makes room if need be.
                var evicted: HookWorker?
                if alive >= configuration.size {
                    let worker = idle.removeFirst()
                    pids.remove(worker.pid)
                    evicted = worker
                    alive -= 1
                }
                alive += 1
                started += 1
                condition.unlock()
                evicted?.terminate()
                do {
                    let worker = try HookWorker.spawn(configuration.argv, executable: configuration.executable)
                    condition.withLock { _ = pids.insert(worker.pid) }
                    return worker
                } catch {
                    condition.lock()
                    alive -= 1
                    condition.broadcast()
                    condition.unlock()
                    throw error
                }
            }
            condition.wait()
        }
    }

    private func checkIn(_ worker: HookWorker) {
        condition.lock()
        if closed {
            alive -= 1
            pids.remove(worker.pid)
            condition.unlock()
            worker.terminate()
            return
        }
        idle.append(worker)
        condition.signal()
        condition.unlock()
    }

    /// Takes a worker that will not serve again out of the count.
    private func retire(_ worker: HookWorker) {
        condition.lock()
        alive -= 1
        pids.remove(worker.pid)
        condition.signal()
        condition.unlock()
    }

    private func count(_ counter: ReferenceWritableKeyPath<HookWorkerPool, Int>) {
        condition.lock()
        self[keyPath: counter] += 1
        condition.unlock()
    }
}

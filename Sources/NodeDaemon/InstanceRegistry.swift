import Foundation
import Logging
import Metrics
import Node
import QEMU
import QMP

/// The node's instances as the daemon holds them: one supervisor per running instance, their
/// states as qemu's events tell them, and the operations in flight. Operations on one instance
/// are serialised (a second one while the first runs is refused as busy); operations on
/// different instances run in parallel on the blocking executor.
actor InstanceRegistry {
    /// The manager, shared by the executor's threads. It holds only constants and hooks that run
    /// in worker processes through a pool made for concurrent callers; its operations on one
    /// instance are serialised here and by the instance lock.
    struct Shared: @unchecked Sendable { let manager: InstanceManager }

    let shared: Shared
    let executor: BlockingExecutor
    let events: EventHub
    let logger: Logger
    private var busy: [String: String] = [:]
    private var supervisors: [String: InstanceSupervisor] = [:]
    /// Running or paused, as the last event said.
    private var live: [String: InstanceState] = [:]
    /// The reason of the last SHUTDOWN event each instance's qemu sent.
    private var shutdowns: [String: String] = [:]
    /// Every instance as its files say, read once and again for an instance after each operation
    /// on it: a list reads no file (nil until the first list).
    private var cached: [String: InstanceInfo]?

    init(manager: Shared, executor: BlockingExecutor, events: EventHub, logger: Logger) {
        shared = manager
        self.executor = executor
        self.events = events
        self.logger = logger
    }

    var state: StateDirectory { shared.manager.state }

    // MARK: Operations

    /// Runs `body` as `operation` on `name`, refusing it while another runs on the instance.
    private func run<T: Sendable>(
        _ name: String, _ operation: String, reason: String?,
        _ body: @escaping @Sendable (InstanceManager) async throws -> T
    ) async throws(InstanceError) -> T {
        try refuseWhileBusy(name, operation)
        busy[name] = operation
        defer { busy[name] = nil }
        var metadata: Logger.Metadata = ["instance": "\(name)", "operation": "\(operation)"]
        if let reason { metadata["reason"] = "\(reason)" }
        logger.info("operation", metadata: metadata)
        let started = ContinuousClock.now
        let shared = shared
        let outcome = await executor.run { () async -> Result<T, any Error> in
            do { return .success(try await body(shared.manager)) } catch { return .failure(error) }
        }
        let took = ContinuousClock.now - started
        await refresh(name)
        Metrics.Timer(label: "taphouse_operation_duration_seconds", dimensions: [("kind", operation)])
            .recordNanoseconds(took.components.seconds * 1_000_000_000 + took.components.attoseconds / 1_000_000_000)
        switch outcome {
        case .success(let value):
            Counter(label: "taphouse_operations_total", dimensions: [("kind", operation), ("outcome", "ok")])
                .increment()
            return value
        case .failure(let error):
            Counter(label: "taphouse_operations_total", dimensions: [("kind", operation), ("outcome", "failed")])
                .increment()
            logger.warning("operation failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            throw error as? InstanceError
                ?? InstanceError(name, operation, step: "running it", caused: error, else: .node)
        }
    }

    private func refuseWhileBusy(_ name: String, _ operation: String) throws(InstanceError) {
        if let other = busy[name] {
            throw InstanceError(.busy, name, operation, step: "waiting for its turn", "\(other) is running on it")
        }
    }

    func start(
        _ spec: InstanceSpec, text: [UInt8], paused: Bool, reason: String?
    ) async throws(InstanceError)
        -> InstanceInfo
    {
        let name = spec.name
        try await run(name, "start", reason: reason) { try await $0.start(spec, specText: text, paused: paused) }
        live[name] = paused ? .paused : .running
        attach(name)
        await publish(name, state: paused ? .paused : .running, reason: "started", trail: reason)
        return try await info(name)
    }

    func stop(_ name: String, force: Bool, timeout: Duration, reason: String?) async throws(InstanceError) {
        try refuseWhileBusy(name, "stop")
        // Its end is this stop's, not news for the supervisor; one that fails watches again.
        detach(name)
        do {
            try await run(name, "stop", reason: reason) { try $0.stop(name, force: force, timeout: timeout) }
        } catch {
            attach(name)
            throw error
        }
        await publish(name, state: .stopped, reason: "stopped", trail: reason)
    }

    func reboot(_ name: String, timeout: Duration, reason: String?) async throws(InstanceError) {
        try refuseWhileBusy(name, "reboot")
        detach(name)
        defer { attach(name) }
        try await run(name, "reboot", reason: reason) { try await $0.reboot(name, timeout: timeout) }
        live[name] = .running
        await publish(name, state: .running, reason: "rebooted", trail: reason)
    }

    func cleanup(_ name: String, reason: String?) async throws(InstanceError) {
        try await run(name, "cleanup", reason: reason) { try $0.cleanup(name) }
        await publish(name, state: .stopped, reason: "cleaned-up", trail: reason)
    }

    func console(_ name: String, command: [String]) async throws(InstanceError) -> ConsoleDescription {
        try await run(name, "console", reason: nil) { try $0.console(name, command: command) }
    }

    // MARK: Reads: files and events, no qemu asked

    func list() async -> [InstanceInfo] {
        if cached == nil {
            let shared = shared
            let infos = await executor.run { shared.manager.list(askingQemu: false) }
            cached = Dictionary(infos.map { ($0.name, $0) }) { $1 }
        }
        return (cached ?? [:]).values.sorted { $0.name < $1.name }.map(overlay)
    }

    /// Reads `name`'s files again into the cached list (an instance that is gone leaves it).
    private func refresh(_ name: String) async {
        guard cached != nil else { return }
        let shared = shared
        let info = await executor.run { try? shared.manager.info(name, askingQemu: false) }
        cached?[name] = info
    }

    func info(_ name: String) async throws(InstanceError) -> InstanceInfo {
        let shared = shared
        let result = await executor.run { () -> Result<InstanceInfo, InstanceError> in
            Result { () throws(InstanceError) in try shared.manager.info(name, askingQemu: false) }
        }
        var info = overlay(try result.get())
        if let supervisor = supervisors[name] {
            // On the held session: no connect, no greeting.
            let (memory, cpus) = await executor.run {
                (try? supervisor.execute("query-memory-size-summary"), try? supervisor.execute("query-cpus-fast"))
            }
            if case .object(let fields)? = memory, case .int(let bytes)? = fields["base-memory"] {
                info.memoryMiB = Int(bytes >> 20)
            }
            if case .array(let list)? = cpus { info.vcpus = list.count }
        }
        return info
    }

    private func overlay(_ info: InstanceInfo) -> InstanceInfo {
        var info = info
        if info.state == .running || info.state == .paused, let state = live[info.name] { info.state = state }
        return info
    }

    // MARK: Supervision

    /// Walks the state directory at start: a live qemu is adopted and supervised again; what a
    /// dead one left (or a start cut short) is cleaned up and reported stopped, reason
    /// `crashed`; an instance whose files do not read stays listed in state `error`.
    func recover() async {
        // A start cut short (the daemon killed in the middle) is rolled back first: after a
        // restart an instance runs supervised, or nothing of it is left.
        for info in await list() where FileManager.default.fileExists(atPath: state.starting(info.name)) {
            do {
                let rolledBack = try await run(info.name, "roll back a start", reason: "recovery") {
                    try $0.rollBackInterruptedStart(info.name)
                }
                if rolledBack {
                    await events.publish(
                        DaemonEvent(
                            kind: "instance-state", instance: info.name, state: "gone", reason: "start-rolled-back"))
                }
            } catch {
                logger.error(
                    "a start cut short could not be rolled back",
                    metadata: ["instance": "\(info.name)", "error": "\(error)"])
            }
        }
        for info in await list() {
            switch info.state {
            case .running, .paused:
                attach(info.name)
                if let supervisor = supervisors[info.name],
                    case .object(let status)? = await executor.run({ try? supervisor.execute("query-status") })
                {
                    live[info.name] = status["running"] == .bool(false) ? .paused : .running
                }
                logger.info("adopted", metadata: ["instance": "\(info.name)", "pid": "\(info.pid ?? 0)"])
                await publish(info.name, state: live[info.name] ?? .running, reason: "adopted")
            case .stopped where info.reason == nil:
                await ended(info.name, reason: "crashed", qmpTime: nil)
            case .stopped:
                break
            case .error:
                logger.warning(
                    "instance state does not read",
                    metadata: ["instance": "\(info.name)", "problem": "\(info.problem ?? "")"])
            }
        }
    }

    /// An update of `name`'s session, in order.
    func handle(_ name: String, _ update: QMPSession.Update) async {
        switch update {
        case .event(let event):
            Counter(label: "taphouse_qmp_events_total", dimensions: [("event", event.name)]).increment()
            switch event.name {
            case "STOP":
                live[name] = .paused
                await publish(name, state: .paused, reason: "paused", qmpTime: event.timestamp)
            case "RESUME":
                live[name] = .running
                await publish(name, state: .running, reason: "resumed", qmpTime: event.timestamp)
            case "RESET":
                await publish(name, state: live[name] ?? .running, reason: "reset", qmpTime: event.timestamp)
            case "SHUTDOWN":
                if case .string(let reason)? = event.data["reason"] { shutdowns[name] = reason }
            default:
                break
            }
        case .warning(let text):
            logger.warning("\(text)", metadata: ["instance": "\(name)"])
            await events.publish(DaemonEvent(kind: "warning", instance: name, message: text))
        case .ended:
            supervisors[name] = nil
            // An operation that ends qemu (stop, reboot) handles the end itself.
            guard busy[name] == nil else { return }
            let reason = shutdowns[name].map { $0 == "guest-shutdown" ? $0 : "shutdown (\($0))" } ?? "crashed"
            await ended(name, reason: reason, qmpTime: nil)
        }
    }

    /// A qemu that ended by itself: its NICs are taken down and its files removed as a stop
    /// would, and it stays listed as stopped with the reason.
    private func ended(_ name: String, reason: String, qmpTime: Double?) async {
        shutdowns[name] = nil
        live[name] = nil
        do {
            try await run(name, "clean up after its end", reason: reason) { manager in
                _ = manager.awaitEnd(name, timeout: .seconds(30))
                try manager.cleanup(name)
                try manager.recordStop(name, reason: reason)
            }
        } catch {
            logger.error("clean-up after qemu ended failed", metadata: ["instance": "\(name)", "error": "\(error)"])
        }
        await publish(name, state: .stopped, reason: reason, qmpTime: qmpTime)
    }

    private func attach(_ name: String) {
        guard supervisors[name] == nil else { return }
        do {
            supervisors[name] = try InstanceSupervisor(
                name: name, eventsSocket: state.eventsSocket(name), registry: self)
        } catch {
            logger.warning("cannot watch the instance", metadata: ["instance": "\(name)", "error": "\(error)"])
        }
    }

    private func detach(_ name: String) {
        supervisors.removeValue(forKey: name)?.close()
        live[name] = nil
    }

    /// Lets go of every session; qemu is not touched (the daemon stops, its guests run on).
    func detachAll() {
        for supervisor in supervisors.values { supervisor.close() }
        supervisors = [:]
    }

    private func publish(
        _ name: String, state: InstanceState, reason: String, trail: String? = nil, qmpTime: Double? = nil
    ) async {
        await events.publish(
            DaemonEvent(
                kind: "instance-state", instance: name, state: state.rawValue, reason: reason, trail: trail,
                qmpTime: qmpTime))
    }
}

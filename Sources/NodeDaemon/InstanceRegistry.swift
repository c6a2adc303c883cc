import CLinux
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
    var live: [String: InstanceState] = [:] { didSet { listText = nil } }
    /// How many operations began on each instance: news about an instance that waited while
    /// one ran is stale.
    private var operationsBegun: [String: Int] = [:]
    /// Why an instance whose qemu runs has no supervisor (its events socket refused or broke).
    private var notWatched: [String: String] = [:] { didSet { listText = nil } }
    /// Every instance as its files say, read once and again for an instance after each operation
    /// on it: a list reads no file (nil until the first list).
    private var cached: [String: InstanceInfo]? { didSet { listText = nil } }
    /// The list as `GET /v1/instances` answers it, made again after any of the above changed:
    /// an orchestrator polls it far more often than it changes.
    private var listText: String?
    /// Counts the operations ended, so that a trim waits for the node to be quiet.
    private var operationsEnded = 0

    init(manager: Shared, executor: BlockingExecutor, events: EventHub, logger: Logger) {
        shared = manager
        self.executor = executor
        self.events = events
        self.logger = logger
    }

    var state: StateDirectory { shared.manager.state }

    // MARK: Operations

    /// Runs `body` as `operation` on `name`, refusing it while another runs on the instance.
    func run<T: Sendable>(
        _ name: String, _ operation: String, reason: String?,
        _ body: @escaping @Sendable (InstanceManager) async throws -> T
    ) async throws(InstanceError) -> T {
        try refuseWhileBusy(name, operation)
        busy[name] = operation
        operationsBegun[name, default: 0] += 1
        defer {
            busy[name] = nil
            trimWhenQuiet()
        }
        var metadata: Logger.Metadata = ["instance": "\(name)", "operation": "\(operation)"]
        if let reason { metadata["reason"] = "\(reason)" }
        logger.info("operation", metadata: metadata)
        let started = ContinuousClock.now
        let shared = shared
        let outcome = await RequestTrail.$instance.withValue(name) {
            await executor.run { () async -> Result<T, any Error> in
                do { return .success(try await body(shared.manager)) } catch { return .failure(error) }
            }
        }
        await refresh(name)
        Metrics.Timer(label: "taphouse_operation_duration_seconds", dimensions: [("kind", operation)])
            .recordInterval(since: started)
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

    /// What operations took at their peak (50 starts at once take megabytes: specs, plans, HTTP
    /// and hook worker buffers on every thread) goes back to the kernel once no operation ran
    /// for a quarter of a second: glibc keeps freed memory in its arenas, and the node's memory
    /// is the guests'. One trim for a burst of operations, on the blocking executor.
    private func trimWhenQuiet() {
        operationsEnded += 1
        let ended = operationsEnded
        Task {
            try? await Task.sleep(for: .milliseconds(250))
            await trimIfStillQuiet(since: ended)
        }
    }

    private func trimIfStillQuiet(since ended: Int) async {
        guard busy.isEmpty, operationsEnded == ended else { return }
        await executor.run { _ = clinux_malloc_trim() }
    }

    func refuseWhileBusy(_ name: String, _ operation: String) throws(InstanceError) {
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
        await attach(name)
        publish(name, state: paused ? .paused : .running, reason: "started", trail: reason)
        return try await info(name)
    }

    func stop(_ name: String, force: Bool, timeout: Duration, reason: String?) async throws(InstanceError) {
        // Its end is this stop's, not news for the supervisor.
        try await detached(name, "stop", reason: reason) { try $0.stop(name, force: force, timeout: timeout) }
        publish(name, state: .stopped, reason: "stopped", trail: reason)
    }

    func reboot(_ name: String, timeout: Duration, reason: String?) async throws(InstanceError) {
        try await detached(name, "reboot", reason: reason) { try await $0.reboot(name, timeout: timeout) }
        live[name] = .running
        await attach(name)
        publish(name, state: .running, reason: "rebooted", trail: reason)
    }

    func cleanup(_ name: String, reason: String?) async throws(InstanceError) {
        try await run(name, "cleanup", reason: reason) { try $0.cleanup(name) }
        publish(name, state: .stopped, reason: "cleaned-up", trail: reason)
    }

    func console(_ name: String, command: [String]) async throws(InstanceError) -> ConsoleDescription {
        try await run(name, "console", reason: nil) { try $0.console(name, command: command) }
    }

    func addNIC(
        _ name: String, _ nic: NICSpec, reason: String?
    ) async throws(InstanceError) -> (index: Int, nic: NICSpec, interface: String) {
        try await hotplug(name, "nic-add", event: "nic-added", reason: reason) {
            try $0.addNIC(name, nic)
        } said: {
            "NIC \($0.index) (\($0.interface), \($0.nic.hvinfo?.id ?? "?")) added"
        }
    }

    func removeNIC(
        _ name: String, index: Int, timeout: Duration, reason: String?
    ) async throws(InstanceError) -> NICSpec {
        try await hotplug(name, "nic-remove", event: "nic-removed", reason: reason) {
            try $0.removeNIC(name, index: index, timeout: timeout)
        } said: {
            "NIC \(index) (\($0.hvinfo?.id ?? "?")) removed"
        }
    }

    func addDisk(
        _ name: String, _ disk: DiskSpec, reason: String?
    ) async throws(InstanceError) -> (index: Int, disk: DiskSpec) {
        try await hotplug(name, "disk-add", event: "disk-added", reason: reason) {
            try await $0.addDisk(name, disk)
        } said: {
            "disk \($0.index) (\($0.disk.hvinfo?.id ?? "?"), \($0.disk.path)) added"
        }
    }

    func removeDisk(
        _ name: String, index: Int, timeout: Duration, reason: String?
    ) async throws(InstanceError) -> DiskSpec {
        try await hotplug(name, "disk-remove", event: "disk-removed", reason: reason) {
            try $0.removeDisk(name, index: index, timeout: timeout)
        } said: {
            "disk \(index) (\($0.hvinfo?.id ?? "?"), \($0.path)) removed"
        }
    }

    /// A hot-plug operation, and its event (`event`, with what `said` makes of its result).
    private func hotplug<T: Sendable>(
        _ name: String, _ operation: String, event: String, reason: String?,
        _ body: @escaping @Sendable (InstanceManager) async throws -> T, said: (T) -> String
    ) async throws(InstanceError) -> T {
        let result = try await run(name, operation, reason: reason, body)
        events.publish(DaemonEvent(kind: event, instance: name, trail: reason, message: said(result)))
        return result
    }

    /// What a start of `spec` would run; nothing runs.
    func plan(_ spec: InstanceSpec) async throws(InstanceError) -> (plan: QemuPlan, features: QemuFeatures) {
        let shared = shared
        return try await executor.run { () async throws(InstanceError) in try await shared.manager.plan(spec) }
    }

    /// `node verify` on the daemon's node: `qemu`, the tun device, the hooks that serve.
    func verify(qemu: String) async -> NodeVerification {
        let shared = shared
        return await executor.run {
            let hooks = shared.manager.hooks
            return await NodeVerification.run(
                qemu: qemu, builtin: hooks.builtin, site: hooks.site,
                checkHook: { shared.manager.checkHook($0, console: false) })
        }
    }

    // MARK: Reads: files and events, no qemu asked

    /// ``list()`` as JSON text.
    func listJSON() async -> String {
        if let listText { return listText }
        let text = DaemonRoutes.encode(await list())
        listText = text
        return text
    }

    func list() async -> [InstanceInfo] {
        if cached == nil {
            let shared = shared
            let infos = await executor.run { shared.manager.list(askingQemu: false) }
            cached = Dictionary(infos.map { ($0.name, $0) }) { $1 }
            countStates()
        }
        return (cached ?? [:]).values.sorted { $0.name < $1.name }.map(overlay)
    }

    /// Reads `name`'s files again into the cached list (an instance that is gone leaves it).
    func refresh(_ name: String) async {
        guard cached != nil else { return }
        let shared = shared
        let info = await executor.run { try? shared.manager.info(name, askingQemu: false) }
        cached?[name] = info
    }

    /// ``info(_:)`` as a value.
    func infoResult(_ name: String) async -> Result<InstanceInfo, InstanceError> {
        do {
            return .success(try await info(name))
        } catch {
            return .failure(error)
        }
    }

    func info(_ name: String) async throws(InstanceError) -> InstanceInfo {
        let shared = shared
        let result = await executor.run { () -> Result<InstanceInfo, InstanceError> in
            Result { () throws(InstanceError) in try shared.manager.info(name, askingQemu: false) }
        }
        var info = overlay(try result.get())
        if let supervisor = supervisors[name] {
            // On the held session: no connect, no greeting; both within the one bound of an info.
            let (memory, cpus, unanswered) = await executor.run {
                let deadline = ContinuousClock.now + InstanceManager.infoBound
                var unanswered: [String] = []
                func ask(_ command: String) -> JSONValue? {
                    do {
                        return try supervisor.execute(command, timeout: max(deadline - .now, .zero))
                    } catch {
                        unanswered.append(error.description)
                        return nil
                    }
                }
                return (ask("query-memory-size-summary"), ask("query-cpus-fast"), unanswered)
            }
            if case .object(let fields)? = memory, case .int(let bytes)? = fields["base-memory"] {
                info.memoryMiB = Int(bytes >> 20)
            }
            if case .array(let list)? = cpus { info.vcpus = list.count }
            if !unanswered.isEmpty {
                let said = "qemu did not answer: " + unanswered.joined(separator: "; ")
                info.problem = info.problem.map { $0 + "; " + said } ?? said
            }
        }
        return info
    }

    private func overlay(_ info: InstanceInfo) -> InstanceInfo {
        var info = info
        guard info.state == .running || info.state == .paused else { return info }
        if let state = live[info.name] { info.state = state }
        if let why = notWatched[info.name] {
            info.problem = info.problem.map { $0 + "; not watched: " + why } ?? "not watched: " + why
        }
        return info
    }

    // MARK: Supervision

    /// Walks the state directory at start: a live qemu is adopted and supervised again; what a
    /// dead one left (or a start cut short) is cleaned up and reported stopped, reason
    /// `crashed`; an instance whose files do not read stays listed in state `error`.
    func recover() async {
        let shared = shared
        await executor.run { shared.manager.sweepLocks() }
        // A start cut short (the daemon killed in the middle) is rolled back first: after a
        // restart an instance runs supervised, or nothing of it is left.
        for info in await list() where FileManager.default.fileExists(atPath: state.starting(info.name)) {
            do {
                let rolledBack = try await run(info.name, "roll back a start", reason: "recovery") {
                    try $0.rollBackInterruptedStart(info.name)
                }
                if rolledBack {
                    events.publish(
                        DaemonEvent(
                            kind: "instance-state", instance: info.name, state: "gone", reason: "start-rolled-back"))
                }
            } catch {
                logger.error(
                    "a start cut short could not be rolled back",
                    metadata: ["instance": "\(info.name)", "error": "\(error)"])
            }
        }
        // Every live one asked at once: a qemu that does not answer delays the daemon's start by
        // one bound, not one a qemu.
        var statuses: [String: JSONValue] = [:]
        let infos = await list()
        await withTaskGroup(of: (String, JSONValue?).self) { group in
            for info in infos where info.state == .running || info.state == .paused {
                group.addTask { [executor] in
                    guard let supervisor = await self.attach(info.name) else { return (info.name, nil) }
                    return (
                        info.name,
                        await executor.run { try? supervisor.execute("query-status", timeout: .seconds(5)) }
                    )
                }
            }
            for await (name, status) in group { statuses[name] = status }
        }
        for info in infos {
            switch info.state {
            case .running, .paused:
                if case .object(let status)? = statuses[info.name] {
                    // Its guest powered off while no daemon watched: qemu waits (-no-shutdown),
                    // and the SHUTDOWN is told from a crash.
                    if status["status"] == .string("shutdown") {
                        detach(info.name)
                        await ended(info.name, reason: "guest-shutdown", poweredOff: true, qmpTime: nil)
                        continue
                    }
                    live[info.name] = status["running"] == .bool(false) ? .paused : .running
                }
                logger.info("adopted", metadata: ["instance": "\(info.name)", "pid": "\(info.pid ?? 0)"])
                publish(info.name, state: live[info.name] ?? .running, reason: "adopted")
            case .stopped where info.reason == nil:
                await ended(info.name, reason: "crashed", poweredOff: false, qmpTime: nil)
            case .stopped:
                break
            case .error:
                logger.warning(
                    "instance state does not read",
                    metadata: ["instance": "\(info.name)", "problem": "\(info.problem ?? "")"])
            }
        }
    }

    /// An update of `supervisor`'s session, in order. One the registry let go of is no news.
    func handle(_ supervisor: InstanceSupervisor, _ update: QMPSession.Update) async {
        let name = supervisor.name
        guard supervisors[name] === supervisor else { return }
        switch update {
        case .event(let event):
            Counter(label: "taphouse_qmp_events_total", dimensions: [("event", event.name)]).increment()
            switch event.name {
            case "STOP":
                live[name] = .paused
                publish(name, state: .paused, reason: "paused", qmpTime: event.timestamp)
            case "RESUME":
                live[name] = .running
                publish(name, state: .running, reason: "resumed", qmpTime: event.timestamp)
            case "MIGRATION":
                // A target's incoming migration as qemu reports it (setup, active, completed, failed).
                events.publish(
                    DaemonEvent(
                        kind: "migration", instance: name, reason: event.data["status"]?.stringValue,
                        qmpTime: event.timestamp))
            case "RESET":
                publish(name, state: live[name] ?? .running, reason: "reset", qmpTime: event.timestamp)
            case "SHUTDOWN":
                // An operation that ends qemu (stop, reboot) handles the end itself.
                guard busy[name] == nil else { return }
                // qemu waits (-no-shutdown): this ends it, as a stop would.
                var reason = "shutdown"
                if case .string(let said)? = event.data["reason"] { reason = said }
                detach(name)
                await ended(
                    name, reason: reason == "guest-shutdown" ? reason : "shutdown (\(reason))", poweredOff: true,
                    qmpTime: event.timestamp)
            default:
                break
            }
        case .warning(let text):
            logger.warning("\(text)", metadata: ["instance": "\(name)"])
            events.publish(DaemonEvent(kind: "warning", instance: name, message: text))
        case .ended(let error):
            supervisors[name] = nil
            guard busy[name] == nil else { return }
            // The socket closes as qemu exits: a moment for the process to follow.
            let shared = shared
            let begun = operationsBegun[name]
            let gone = await executor.run { shared.manager.qemuEnded(name, within: .seconds(2)) }
            guard operationsBegun[name] == begun, supervisors[name] == nil else { return }
            if gone {
                await ended(name, reason: "crashed", poweredOff: false, qmpTime: nil)
            } else {
                // qemu runs on but its events session broke (a qemu that misbehaves): the
                // instance stays as it is, and says it is not watched; operations still work.
                unwatched(name, "its events session ended: \(error)")
            }
        }
    }

    /// A qemu that ended by itself (or waits after its guest powered off): ended, its NICs
    /// taken down and its files removed as a stop would, and it stays listed as stopped with the
    /// reason. One whose events socket closed while it runs on is left alone, with a warning.
    private func ended(_ name: String, reason: String, poweredOff: Bool, qmpTime: Double?) async {
        live[name] = nil
        do {
            try await run(name, "clean up after its end", reason: reason) {
                try $0.settleEnd(name, reason: reason, poweredOff: poweredOff)
            }
            publish(name, state: .stopped, reason: reason, qmpTime: qmpTime)
        } catch {
            logger.error("clean-up after qemu ended failed", metadata: ["instance": "\(name)", "error": "\(error)"])
            events.publish(DaemonEvent(kind: "warning", instance: name, message: "\(error)"))
        }
    }

    /// Watches `name`: its events session opened on the blocking executor (a qemu that does not
    /// greet costs a thread of that, never the actor's), then handed its updates. One that an
    /// operation overtook meanwhile is let go.
    @discardableResult
    func attach(_ name: String) async -> InstanceSupervisor? {
        if let supervisor = supervisors[name] { return supervisor }
        let begun = operationsBegun[name]
        let path = state.eventsSocket(name)
        let opened = await executor.run { () -> Result<InstanceSupervisor, QMPError> in
            Result { () throws(QMPError) in try InstanceSupervisor(name: name, eventsSocket: path) }
        }
        guard operationsBegun[name] == begun, supervisors[name] == nil else {
            if case .success(let supervisor) = opened { supervisor.close() }
            return supervisors[name]
        }
        switch opened {
        case .success(let supervisor):
            supervisors[name] = supervisor
            notWatched[name] = nil
            supervisor.begin(registry: self)
            return supervisor
        case .failure(let error):
            unwatched(name, "its events socket: \(error)")
            return nil
        }
    }

    /// `name` runs without a supervisor, for `why`: a warning, and its info says so.
    private func unwatched(_ name: String, _ why: String) {
        notWatched[name] = why
        logger.warning("instance not watched", metadata: ["instance": "\(name)", "why": "\(why)"])
        events.publish(DaemonEvent(kind: "warning", instance: name, message: "not watched: \(why)"))
    }

    func detach(_ name: String) {
        supervisors.removeValue(forKey: name)?.close()
        live[name] = nil
        notWatched[name] = nil
    }

    /// Runs `operation` on `name` with its events session let go (what the operation does to
    /// qemu is its own news, not the supervisor's). One that fails leaves the registry as it
    /// found it: the session opened again where there was one, the state qemu last told (a
    /// paused guest is not listed running), and why it was not watched. A refusal on a name with
    /// no instance so leaves nothing behind.
    func detached<T: Sendable>(
        _ name: String, _ operation: String, reason: String?,
        _ body: @escaping @Sendable (InstanceManager) async throws -> T
    ) async throws(InstanceError) -> T {
        try refuseWhileBusy(name, operation)
        let (watched, state, why) = (supervisors[name] != nil, live[name], notWatched[name])
        detach(name)
        do {
            return try await run(name, operation, reason: reason, body)
        } catch {
            if watched { await attach(name) } else if let why { notWatched[name] = why }
            if live[name] == nil { live[name] = state }
            throw error
        }
    }

    /// Lets go of every session; qemu is not touched (the daemon stops, its guests run on).
    func detachAll() {
        for supervisor in supervisors.values { supervisor.close() }
        supervisors = [:]
    }

    func publish(
        _ name: String, state: InstanceState, reason: String, trail: String? = nil, qmpTime: Double? = nil
    ) {
        events.publish(
            DaemonEvent(
                kind: "instance-state", instance: name, state: state.rawValue, reason: reason, trail: trail,
                qmpTime: qmpTime))
        countStates()
    }

    /// The `taphouse_instances` gauge, one series a state, from the cached list and the events.
    private func countStates() {
        guard let cached else { return }
        var counts = Dictionary(uniqueKeysWithValues: InstanceState.allCases.map { ($0, 0) })
        for info in cached.values { counts[overlay(info).state, default: 0] += 1 }
        for (state, count) in counts {
            Gauge(label: "taphouse_instances", dimensions: [("state", state.rawValue)]).record(count)
        }
    }
}

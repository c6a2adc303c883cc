import Foundation
import Hooks
import HostNet
import Logging
import LuaKit
import QEMU
import QMP
import SystemPackage

/// Starts, stops, reboots, lists, describes and cleans up the qemu instances of this node.
/// Every operation on an instance holds its lock; a failed start undoes everything it did (qemu,
/// hook journals, taps, files) before it reports the step that failed.
public final class InstanceManager {
    public let state: StateDirectory
    public let hooks: HookDirectories
    /// The uids `security_model=pool` instances run as.
    public let uidPool: UIDPool
    /// The qemu binaries a spec's `kvm_path` may name: the node decides what runs as root, a
    /// spec only picks among them.
    public let qemuBinaries: Set<String>
    public static let defaultQemuBinaries: Set<String> = [
        "/usr/bin/qemu-system-x86_64", "/usr/bin/kvm", "/usr/libexec/qemu-kvm",
    ]
    let logger: Logger
    /// Where the NIC and console hooks run.
    let hookCalls: NodeHooks
    /// Told of every NIC hook call (the daemon's events and metrics); set before first use.
    public var onHookRun: (@Sendable (HookRun) -> Void)?
    /// Told of every `post_*` or `nic_*` call of the lifecycle hook that failed (the operation
    /// stood); set before first use.
    public var onLifecycleFailure: (@Sendable (LifecycleHookCall, HookError) -> Void)?

    /// - Parameter workers: the hook workers to run hooks in (the node's way); without, hooks run
    ///   in this process.
    public init(
        stateDirectory: String, hooks: HookDirectories, uidPool: UIDPool = UIDPool(ranges: []),
        qemuBinaries: Set<String> = InstanceManager.defaultQemuBinaries, workers: HookWorkerPool? = nil,
        hookLimits: LuaLimits = HookSandbox.defaultLimits, logger: Logger
    ) {
        state = StateDirectory(stateDirectory)
        self.uidPool = uidPool
        self.qemuBinaries = qemuBinaries
        self.hooks = hooks
        self.logger = logger
        let setup = HookWorkerSetup(directories: hooks, stateDirectory: stateDirectory, limits: hookLimits)
        hookCalls = workers.map { WorkerHooks(pool: $0, setup: setup) } ?? LocalHooks(setup: setup, logger: logger)
    }

    // MARK: - Start

    /// Plans `spec`, saves its runtime and launches it; with `paused`, the CPUs stay stopped.
    public func start(_ spec: InstanceSpec, specText: [UInt8], paused: Bool) async throws(InstanceError) {
        let files = InstanceFiles(state: state, name: spec.name)
        let lock = try locked(files, "start")
        defer { withExtendedLifetime(lock) {} }
        try reconcile(files, "start")
        let (plan, features) = try await plan(spec, "start")
        try FaultPoint.reach("start.begin", files)
        var rollback = Rollback()
        do {
            try write(Array("\(getpid())\n".utf8), to: files.starting, &rollback)
            try refusingLifecycle(lifecycleCall(.preStart, files, spec: spec, runtime: plan.runtime), "start")
            rollback.add("instance.lua's changes") { [self] in try hookCalls.finishLifecycle(instance: spec.name) }
            try write(specText, to: files.spec, &rollback)
            try write(Array(plan.runtime.serialized()), to: files.runtime, &rollback)
            try FaultPoint.reach("start.saved", files)
        } catch let error as InstanceError {
            var failure = error
            failure.undoFailures = rollback.run()
            throw failure
        } catch {
            var failure = InstanceError(.state, spec.name, "start", step: "saving the runtime", "\(error)")
            failure.undoFailures = rollback.run()
            throw failure
        }
        try launch(files, plan.runtime, features: features, tags: spec.tags, paused: paused, "start", rollback)
        unlink(files.starting)
        reportingLifecycle(lifecycleCall(.postStart, files, spec: spec, runtime: plan.runtime))
    }

    // MARK: - Stop, reboot, cleanup

    /// Stops the instance: ACPI powerdown (when acpi is on and not `force`) with `timeout`, then
    /// SIGTERM, then SIGKILL; then `down` for every NIC and the files. Returns when it is gone.
    public func stop(_ name: String, force: Bool, timeout: Duration) throws(InstanceError) {
        let files = try self.files(name, "stop")
        let lock = try locked(files, "stop")
        defer { withExtendedLifetime(lock) {} }
        guard exists(files) else {
            throw InstanceError(.notFound, name, "stop", step: "finding it", "no such instance")
        }
        try refusingLifecycle(
            lifecycleCall(.preStop, files, spec: nil, runtime: try? savedRuntime(files, "stop")), "stop")
        try halt(files, force: force, timeout: timeout, "stop")
        try FaultPoint.reach("stop.halted", files)
        try clean(files, "stop", reason: "stopped")
    }

    /// A soft reboot: the guest is shut down (ACPI, with `timeout`; killed only once the deadline
    /// passed) and started again from its saved runtime.
    public func reboot(_ name: String, timeout: Duration) async throws(InstanceError) {
        let files = try self.files(name, "reboot")
        let lock = try locked(files, "reboot")
        defer { withExtendedLifetime(lock) {} }
        guard exists(files) else {
            throw InstanceError(.notFound, name, "reboot", step: "finding it", "no such instance")
        }
        let runtime = try savedRuntime(files, "reboot")
        let tags = savedTags(files)
        try halt(files, force: false, timeout: timeout, "reboot")
        try FaultPoint.reach("reboot.halted", files)
        try downNICs(files, runtime, tags: tags, "reboot")
        try FaultPoint.reach("reboot.down", files)
        let features = try await probe(runtime.hvparams.string("kvm_path"), name, "reboot")
        var rollback = Rollback()
        do {
            try write(Array("\(getpid())\n".utf8), to: files.starting, &rollback)
        } catch {
            throw InstanceError(.state, name, "reboot", step: "marking the start", "\(error)")
        }
        try launch(files, runtime, features: features, tags: tags, paused: false, "reboot", rollback)
        unlink(files.starting)
    }

    /// Clears what a dead instance left (its NICs' journals are undone, its files removed);
    /// refuses a live one.
    public func cleanup(_ name: String) throws(InstanceError) {
        let files = try self.files(name, "cleanup")
        let lock = try locked(files, "cleanup")
        defer { withExtendedLifetime(lock) {} }
        if FileManager.default.fileExists(atPath: files.starting) {
            // A start's marker with its lock free: that start was cut short (killed, crashed),
            // and what it left, a qemu included, is rolled back as the next start would.
            logger.warning("rolling back a start that was cut short", metadata: ["instance": "\(name)"])
            try halt(files, force: true, timeout: .zero, "cleanup")
            try clean(files, "cleanup")
            return
        }
        try endPoweredOff(files, "cleanup", else: "stop it first")
        guard exists(files) else {
            throw InstanceError(.notFound, name, "cleanup", step: "finding it", "no such instance")
        }
        try clean(files, "cleanup", reason: "cleaned-up")
    }

    // MARK: - List and info

    /// How long `info` waits for qemu in all (connect and every query): a qemu that hangs or
    /// floods its socket delays the answer by this much, and the answer says what it missed.
    public static let infoBound: Duration = .milliseconds(4500)
    /// The same for each instance of `list`, which asks qemu one thing (paused or not).
    public static let listBound: Duration = .seconds(2)

    /// Every instance with state on this node, by name: those with a runtime, and those whose
    /// runtime is gone but whose pid file or NIC files are not (listed in state `error`).
    /// - Parameter askingQemu: whether a running instance's qemu is asked if it is paused (the
    ///   daemon knows that from its events, and asks no qemu to list).
    public func list(askingQemu: Bool = true) -> [InstanceInfo] {
        func names(_ folder: String, suffix: String = "") -> [String] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return entries.filter { $0.hasSuffix(suffix) }.map { String($0.dropLast(suffix.count)) }
        }
        let all = Set(
            names(state.conf, suffix: ".runtime") + names(state.conf, suffix: ".starting") + names(state.pidFolder)
                + names(state.nics)
                + names(state.stoppedFolder))
        return all.sorted().compactMap { try? info($0, detailed: false, askingQemu: askingQemu) }
    }

    /// The instance: its qemu, state, memory and vCPUs (from QMP when it runs), and its NICs.
    ///
    /// It answers within ``infoBound`` whatever qemu does; what qemu did not answer is said in
    /// ``InstanceInfo/problem``. An instance whose runtime does not read is in state `error`,
    /// with the file and the reason.
    public func info(
        _ name: String, detailed: Bool = true, askingQemu: Bool = true
    ) throws(InstanceError) -> InstanceInfo {
        let files = try self.files(name, "info")
        var info = InstanceInfo(name: name, pid: nil, state: .stopped, memoryMiB: nil, vcpus: nil, nics: [])
        info.reason = stopReason(files)
        var runtime: QemuRuntime?
        if let data = FileManager.default.contents(atPath: files.runtime) {
            do {
                runtime = try QemuRuntime.load(data, name: files.runtime).runtime
            } catch {
                (info.state, info.problem) = (.error, "\(error)")
            }
        } else if info.reason != nil && !exists(files, besidesTheStopRecord: true) {
            return info
        } else if exists(files) {
            (info.state, info.problem) = (.error, "\(files.runtime): missing")
        } else {
            throw InstanceError(.notFound, name, "info", step: "reading the runtime", "no such instance")
        }
        info.nics = nicIndexes(files, runtime).map { index in
            let nic = runtime?.nics[index]
            let journal = try? Journal.load(
                path: files.journal(index))
            var hook: String?
            var version: String?
            if case .begin(let file, let hash, _, _, _, _)? = journal?.entries.first {
                (hook, version) = (file, hash)
            }
            return InstanceInfo.NIC(
                index: index, tap: tapName(files, index), mode: nic?.mode, link: nic?.link, mac: nic?.mac,
                hook: hook, hookVersion: version)
        }
        info.disks = (runtime?.disks ?? []).enumerated().map { index, disk in
            InstanceInfo.Disk(index: index, device: disk.hvinfo?.id, path: disk.path, uri: disk.uri, mode: disk.mode)
        }
        guard let qemu = QemuProcess.find(pidFile: files.pidFile) else { return info }
        info.pid = qemu.pid
        if info.state != .error { info.state = .running }
        guard askingQemu else { return info }
        let deadline = Deadline(after: detailed ? Self.infoBound : Self.listBound)
        var unanswered: [String] = []
        do {
            let qmp = try QMPConnection.connect(path: state.qmpSocket(name), deadline: deadline)
            defer { qmp.close() }
            qmp.onWarning = { [logger] in logger.warning("\($0)", metadata: ["instance": "\(name)"]) }
            func ask(_ command: String) -> JSONValue? {
                do {
                    return try qmp.execute(command, deadline: deadline)
                } catch {
                    unanswered.append(error.description)
                    return nil
                }
            }
            if case .object(let status)? = ask("query-status"), status["running"] == .bool(false),
                info.state == .running
            {
                // A guest that powered itself off while no daemon watched: its qemu waits
                // (-no-shutdown) for a stop or a cleanup to end it.
                if status["status"] == .string("shutdown") {
                    (info.state, info.reason) = (.stopped, "guest-shutdown")
                } else {
                    info.state = .paused
                }
            }
            if detailed {
                if case .object(let memory)? = ask("query-memory-size-summary"),
                    case .int(let bytes)? = memory["base-memory"]
                {
                    info.memoryMiB = Int(bytes >> 20)
                }
                if case .array(let cpus)? = ask("query-cpus-fast") { info.vcpus = cpus.count }
            }
        } catch {
            unanswered.append(error.description)
        }
        if !unanswered.isEmpty {
            let said = "qemu did not answer: " + unanswered.joined(separator: "; ")
            info.problem = info.problem.map { $0 + "; " + said } ?? said
        }
        return info
    }

    /// The NICs an instance has: its runtime's, or where that does not read, those a NIC file
    /// or a journal is left for.
    private func nicIndexes(_ files: InstanceFiles, _ runtime: QemuRuntime?) -> [Int] {
        if let runtime { return Array(runtime.nics.indices) }
        let folders = [files.nicFolder, files.journalFolder]
        let entries = folders.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }
        return Set(entries.compactMap { Int($0) }.filter { $0 >= 0 }).sorted()
    }

    /// The tap a NIC file names, if it names one the kernel could have made: a garbage file is
    /// no name, so that nothing is done to a link it happens to spell.
    func tapName(_ files: InstanceFiles, _ index: Int) -> String? {
        guard let text = try? String(contentsOfFile: files.nicFile(index), encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return InterfaceName.isValid(name) ? name : nil
    }

    // MARK: - Steps shared by the verbs

    func files(_ name: String, _ operation: String) throws(InstanceError) -> InstanceFiles {
        guard HostName.problem(name) == nil else {
            throw InstanceError(.invalidSpec, name, operation, step: "checking the name", "not a valid instance name")
        }
        return InstanceFiles(state: state, name: name)
    }

    func locked(_ files: InstanceFiles, _ operation: String) throws(InstanceError) -> InstanceLock {
        do {
            return try InstanceLock.acquire(files.lock, timeout: .seconds(30))
        } catch {
            throw InstanceError(.busy, files.name, operation, step: "taking the instance lock", error.description)
        }
    }

    func exists(_ files: InstanceFiles, besidesTheStopRecord: Bool = false) -> Bool {
        ([files.runtime, files.pidFile, files.nicFolder, files.uid, files.starting, files.incoming]
            + (besidesTheStopRecord ? [] : [files.stopped]))
            .contains { FileManager.default.fileExists(atPath: $0) }
    }

    /// `hooks check` of one file, in a hook worker: the problem, or nil.
    public func checkHook(_ file: String, console: Bool) -> String? {
        hookCalls.check(file, console: console)
    }

    /// Removes the instance locks that no process holds (one killed while it held its lock
    /// left the file): a daemon does it as it starts.
    public func sweepLocks() {
        InstanceLock.sweep(state.lockFolder)
    }

    /// Rolls back a start that was cut short: its marker stayed and the process that made it is
    /// gone (its instance lock is free). Its qemu is killed, its NICs' journals undone, its files
    /// removed: nothing of it is left. False when no start of it was cut short (none, or one
    /// still under way).
    public func rollBackInterruptedStart(_ name: String) throws(InstanceError) -> Bool {
        let files = try self.files(name, "roll back a start")
        guard FileManager.default.fileExists(atPath: files.starting),
            let lock = try? InstanceLock.acquire(files.lock, timeout: .zero)
        else { return false }
        defer { withExtendedLifetime(lock) {} }
        // It may have ended (well or not) while the lock was waited for.
        guard FileManager.default.fileExists(atPath: files.starting) else { return false }
        logger.warning("rolling back a start that was cut short", metadata: ["instance": "\(name)"])
        try halt(files, force: true, timeout: .zero, "roll back a start")
        try clean(files, "roll back a start")
        return true
    }

    /// Whether no qemu runs for `name`, waiting up to `timeout` for one that is exiting.
    public func qemuEnded(_ name: String, within timeout: Duration) -> Bool {
        guard let qemu = QemuProcess.find(pidFile: state.pidFile(name)) else { return true }
        return qemu.waitForExit(timeout)
    }

    /// Records why an instance that ended by itself is stopped (its files already cleaned):
    /// it stays listed as `stopped` with the reason until started again or cleaned up.
    func recordStop(_ name: String, reason: String) throws(InstanceError) {
        let files = try self.files(name, "record its stop")
        do {
            try FileManager.default.createDirectory(atPath: state.stoppedFolder, withIntermediateDirectories: true)
            try Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: files.stopped), options: .atomic)
        } catch {
            throw InstanceError(.state, name, "record its stop", step: "writing \(files.stopped)", "\(error)")
        }
    }

    private func stopReason(_ files: InstanceFiles) -> String? {
        (try? String(contentsOfFile: files.stopped, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What a start of `spec` would run on this node (its qemu asked, the node checked), run
    /// nothing.
    public func plan(
        _ spec: InstanceSpec, _ operation: String = "plan"
    ) async throws(InstanceError) -> (plan: QemuPlan, features: QemuFeatures) {
        let features = try await probe(spec.hvparams.string("kvm_path"), spec.name, operation)
        do {
            try spec.hvparams.checkOnNode(LocalNodeFacts.make(features: features))
        } catch {
            throw InstanceError(.node, spec.name, operation, step: "checking the node", error.description)
        }
        do {
            return (try QemuPlanner.plan(spec, features: features, paths: state), features)
        } catch {
            throw InstanceError(.invalidSpec, spec.name, operation, step: "planning", error.description)
        }
    }

    func probe(
        _ qemu: String, _ name: String, _ operation: String
    ) async throws(InstanceError)
        -> QemuFeatures
    {
        guard qemuBinaries.contains(qemu) else {
            throw InstanceError(
                .node,
                name, operation, step: "checking the node",
                "hvparams.kvm_path: \(qemu) is not one of this node's qemu binaries (\(qemuBinaries.sorted().joined(separator: ", "))); a node adds one with --qemu-binary"
            )
        }
        do {
            return try await QemuProbe.features(of: qemu, cache: state.cache)
        } catch {
            throw InstanceError(.node, name, operation, step: "asking \(qemu) what it supports", "\(error)")
        }
    }

    /// Before a start: a live qemu is an error; what a dead one (or a start cut short) left is
    /// cleared first, its NICs' journals undone.
    func reconcile(_ files: InstanceFiles, _ operation: String) throws(InstanceError) {
        try endPoweredOff(files, operation, else: "already running")
        if exists(files) { try clean(files, operation) }
    }

    /// A qemu whose guest powered off (qemu waits, paused, under -no-shutdown) is ended; one
    /// whose guest runs is refused as busy, `advice` said.
    private func endPoweredOff(_ files: InstanceFiles, _ operation: String, else advice: String) throws(InstanceError) {
        guard let qemu = QemuProcess.find(pidFile: files.pidFile) else { return }
        guard poweredOff(files.name, within: Self.listBound) else {
            throw InstanceError(
                .busy, files.name, operation, step: "checking qemu", "qemu runs (pid \(qemu.pid)): \(advice)")
        }
        guard qemu.terminate(grace: .seconds(5)) else {
            throw InstanceError(
                .qemu, files.name, operation, step: "ending the qemu of a guest that is off",
                "pid \(qemu.pid) survived SIGKILL")
        }
    }

    /// Whether `name`'s guest powered itself off, its qemu waiting (status `shutdown`).
    func poweredOff(_ name: String, within bound: Duration) -> Bool {
        let deadline = Deadline(after: bound)
        guard let qmp = try? QMPConnection.connect(path: state.qmpSocket(name), deadline: deadline) else {
            return false
        }
        defer { qmp.close() }
        return (try? Self.isPoweredOff(qmp, deadline)) ?? false
    }

    static func isPoweredOff(_ qmp: QMPConnection, _ deadline: Deadline) throws(QMPError) -> Bool {
        guard case .object(let status) = try qmp.execute("query-status", deadline: deadline) else { return false }
        return status["status"] == .string("shutdown")
    }

    /// After an instance's qemu ended by itself (its SHUTDOWN seen, `poweredOff`, or its events
    /// socket closed): a qemu left waiting under -no-shutdown is ended, the NICs taken down and
    /// the files removed as a stop would, and the instance recorded as stopped with `reason`.
    /// A qemu that still runs although no SHUTDOWN came is left alone, and an error.
    public func settleEnd(_ name: String, reason: String, poweredOff: Bool) throws(InstanceError) {
        let operation = "clean up after its end"
        let files = try self.files(name, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        if let qemu = QemuProcess.find(pidFile: files.pidFile) {
            if poweredOff {
                guard qemu.terminate(grace: .seconds(5)) else {
                    throw InstanceError(.qemu, name, operation, step: "ending qemu", "pid \(qemu.pid) survived SIGKILL")
                }
            } else if !qemu.waitForExit(.seconds(5)) {
                throw InstanceError(
                    .qemu, name, operation, step: "waiting for qemu",
                    "its events socket closed without a SHUTDOWN, but qemu (pid \(qemu.pid)) runs: left alone")
            }
        }
        // A migration target's qemu that ended never ran the guest here (its source failed):
        // cleared, with no stop to record.
        let incoming = FileManager.default.fileExists(atPath: files.incoming)
        if exists(files) { try clean(files, operation, reason: incoming ? nil : reason) }
        if !incoming { try recordStop(name, reason: reason) }
    }

    /// Brings qemu down: ACPI (unless forced or acpi is off) within `timeout` all told, QMP
    /// included, then SIGTERM and SIGKILL whatever the QMP socket does.
    func halt(
        _ files: InstanceFiles, force: Bool, timeout: Duration, _ operation: String
    ) throws(InstanceError) {
        guard let qemu = QemuProcess.find(pidFile: files.pidFile) else { return }
        let runtime = FileManager.default.contents(atPath: files.runtime).flatMap {
            try? QemuRuntime.load($0).runtime
        }
        if !force, runtime?.hvparams.bool("acpi") ?? true {
            let deadline = Deadline(after: timeout)
            let metadata: Logger.Metadata = ["instance": "\(files.name)"]
            do {
                let qmp = try QMPConnection.connect(path: state.qmpSocket(files.name), deadline: deadline)
                defer { qmp.close() }
                qmp.onWarning = { [logger] in logger.warning("\($0)", metadata: metadata) }
                // qemu runs with -no-shutdown: a guest that is off (now, or before this stop)
                // leaves qemu paused, and `quit` ends it. One of an older runtime exits by itself.
                if try !Self.isPoweredOff(qmp, deadline) {
                    _ = try qmp.execute("system_powerdown", deadline: deadline)
                    _ = try qmp.waitForEvent("SHUTDOWN", timeout: deadline.remaining)
                }
                _ = try? qmp.execute("quit", deadline: deadline)
                if qemu.waitForExit(deadline.remaining) { return }
                logger.warning("ACPI powerdown timed out", metadata: metadata)
            } catch {
                // Not asked, so not waited for: the signals follow at once.
                logger.warning("ACPI powerdown not sent: \(error)", metadata: metadata)
            }
        }
        guard qemu.terminate(grace: .seconds(5)) else {
            throw InstanceError(.qemu, files.name, operation, step: "killing qemu", "pid \(qemu.pid) survived SIGKILL")
        }
    }

    /// `down` for every NIC that has a journal or a tap file, the lifecycle hook's `post_stop`
    /// (where the instance stopped, `reason` saying why) and the undo of what its lifecycle
    /// calls changed, then the instance's files.
    func clean(_ files: InstanceFiles, _ operation: String, reason: String? = nil) throws(InstanceError) {
        let runtime = FileManager.default.contents(atPath: files.runtime).flatMap { try? QemuRuntime.load($0).runtime }
        try downNICs(files, runtime, tags: savedTags(files), operation)
        try FaultPoint.reach("\(operation).down", files)
        var failures = endLifecycle(files, reason: reason, runtime: runtime)
        if FileManager.default.fileExists(atPath: files.chroot) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: files.chroot)) ?? []
            if entries.isEmpty {
                try? FileManager.default.removeItem(atPath: files.chroot)
            } else {
                // As Ganeti: a fresh mkdtemp folder per quarantine, named after the instance and
                // the time, so that two in the same second do not collide; the chroot goes inside.
                try? FileManager.default.createDirectory(atPath: files.quarantine, withIntermediateDirectories: true)
                var template = Array(
                    "\(files.quarantine)/\(files.name)-\(Int(Date().timeIntervalSince1970))-XXXXXX".utf8CString)
                let folder = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map {
                    String(cString: $0)
                }
                let target = (folder ?? files.quarantine) + "/" + files.name
                do {
                    try FileManager.default.moveItem(atPath: files.chroot, toPath: target)
                    logger.warning(
                        "chroot was not empty: quarantined", metadata: ["instance": "\(files.name)", "to": "\(target)"])
                } catch {
                    failures.append("chroot \(files.chroot): \(error)")
                }
            }
        }
        if let text = try? String(contentsOfFile: files.uid, encoding: .utf8),
            let uid = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            UIDLease.release(uid, folder: files.uidPool)
        }
        for path in files.sockets + [
            files.pidFile, files.runtime, files.spec, files.nicFolder, files.uid, files.stopped, files.starting,
            files.incoming,
        ] {
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                failures.append("\(path): \(error)")
            }
        }
        // Empty once every NIC's journal is undone; one left (its undo failed) keeps it.
        rmdir(files.journalFolder)
        if !failures.isEmpty {
            var error = InstanceError(.state, files.name, operation, step: "removing its files", "some files stayed")
            error.undoFailures = failures
            throw error
        }
    }

    /// `down` for each NIC of `runtime` that has a journal or a tap file. Where the runtime does
    /// not read, its NICs' settings are lost and no hook can be called for them: what their
    /// journals hold is undone all the same.
    func downNICs(
        _ files: InstanceFiles, _ runtime: QemuRuntime?, tags: [String], _ operation: String
    ) throws(InstanceError) {
        var failures: [String] = []
        for index in nicIndexes(files, runtime) {
            let journal = files.journal(index)
            let tap = tapName(files, index)
            let hasNICFile = FileManager.default.fileExists(atPath: files.nicFile(index))
            guard FileManager.default.fileExists(atPath: journal) || hasNICFile else { continue }
            do {
                if let nic = runtime?.nics[index] {
                    try nicHook(
                        NICHookCall(
                            action: .down, instance: files.name, tags: tags, nic: nic, index: index,
                            interface: tap ?? ""))
                } else {
                    try hookCalls.undoJournal(instance: files.name, index: index)
                }
            } catch {
                failures.append("NIC \(index): \(error)")
            }
            try? FileManager.default.removeItem(atPath: files.nicFile(index))
        }
        if !failures.isEmpty {
            var error = InstanceError(.hook, files.name, operation, step: "NIC down hooks", "some NICs were not undone")
            error.undoFailures = failures
            throw error
        }
    }

    /// A NIC hook call, told to ``onHookRun``.
    @discardableResult
    func nicHook(_ call: NICHookCall) throws(HookError) -> [HookCallLine] {
        guard let onHookRun else { return try hookCalls.nic(call) }
        let (run, result) = HookRun.observe(call, stateDirectory: state.path) { () throws(HookError) in
            try hookCalls.nic(call)
        }
        onHookRun(run)
        return try result.get()
    }

    /// NIC hook calls in order, up to the first that fails, in one exchange with the hooks;
    /// each told to ``onHookRun`` as it ends.
    func nicHooks(_ calls: [NICHookCall]) -> [Result<[HookCallLine], HookError>] {
        guard let onHookRun else { return hookCalls.nics(calls) { _, _ in } }
        let before = calls.map { HookRun.sourceBefore($0, stateDirectory: state.path) }
        var started = ContinuousClock.now
        return hookCalls.nics(calls) { index, outcome in
            let now = ContinuousClock.now
            onHookRun(
                HookRun(calls[index], outcome, took: now - started, before: before[index], stateDirectory: state.path))
            started = now
        }
    }

    func savedTags(_ files: InstanceFiles) -> [String] { savedSpec(files)?.tags ?? [] }

    /// Writes a state file atomically (temp, fsync, rename) and registers its removal.
    func write(_ bytes: [UInt8], to path: String, _ rollback: inout Rollback) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        rollback.add("file \(path)") { try FileManager.default.removeItem(atPath: path) }
    }
}

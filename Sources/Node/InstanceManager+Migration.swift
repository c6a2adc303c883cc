import Foundation
import Hooks
import Logging
import QEMU
import QMP

/// Live migration, as Ganeti's steps: `migrationInfo` on the source, `accept` on the target
/// (qemu listening, the NICs' `pre` phase), `migrate` on the source (to completion, learned from
/// qemu's MIGRATION event; the source then ends), `finalizeIncoming` on the target (`post` phase,
/// the guest let run) or `abandonIncoming` (nothing of it left). With `return-path` on both
/// sides a source's `completed` means the target has the guest, and a target that fails makes
/// the source fail and run on: the only copy of a guest is never ended.
extension InstanceManager {
    /// What a target needs: the spec and runtime of a running instance.
    public func migrationInfo(_ name: String) throws(InstanceError) -> MigrationInfo {
        let operation = "migration-info"
        let files = try self.files(name, operation)
        guard let runtimeBytes = FileManager.default.contents(atPath: files.runtime) else {
            throw InstanceError(.notFound, name, operation, step: "reading the runtime", "no such instance")
        }
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.conflict, name, operation, step: "finding qemu", "its qemu does not run")
        }
        do {
            let runtime = try QemuRuntime.load(runtimeBytes, name: files.runtime).runtime
            let specText = Array(FileManager.default.contents(atPath: files.spec) ?? Data())
            let spec = try InstanceSpec.parse(json: specText)
            return MigrationInfo(
                instance: name, spec: spec, specText: specText, runtime: runtime, sourceStateDirectory: state.path)
        } catch {
            throw InstanceError(.state, name, operation, step: "reading its files", error.description)
        }
    }

    // MARK: - Target

    /// Starts qemu listening on `listen` for the instance `info` describes, the NICs up as their
    /// `pre` phase says; returns when qemu listens. A failure undoes all of it.
    public func accept(_ info: MigrationInfo, listen: MigrationAddress, postcopy: Bool) async throws(InstanceError) {
        let operation = "accept"
        let files = try self.files(info.instance, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        try reconcile(files, operation)
        let runtime = info.runtime.rebased(from: info.sourceStateDirectory, to: state.path)
        let features = try await probe(runtime.hvparams.string("kvm_path"), info.instance, operation)
        let marker = JSONValue.object([
            "listen": .string(listen.description), "postcopy": .bool(postcopy),
            "waits_for_post": .bool(IncomingMigration.waitsForPost(runtime.nics.map(\.mode))),
        ])
        var rollback = Rollback()
        do {
            try write(Array("\(getpid())\n".utf8), to: files.starting, &rollback)
            try write(Array(marker.text().utf8), to: files.incoming, &rollback)
            try write(info.specText, to: files.spec, &rollback)
            try write(Array(runtime.serialized()), to: files.runtime, &rollback)
            var call = lifecycleCall(.preMigrate, files, spec: info.spec, runtime: runtime)
            call.role = "target"
            try refusingLifecycle(call, operation)
            rollback.add("instance.lua's changes") { [self] in try hookCalls.finishLifecycle(instance: info.instance) }
        } catch let error as InstanceError {
            var failure = error
            failure.undoFailures = rollback.run()
            throw failure
        } catch {
            var failure = InstanceError(.state, info.instance, operation, step: "saving the runtime", "\(error)")
            failure.undoFailures = rollback.run()
            throw failure
        }
        let incoming = IncomingMigration(
            listen: listen, capabilities: MigrationSettings.capabilities(postcopy: postcopy))
        try launch(
            files, runtime, features: features, tags: info.spec.tags, paused: true, operation, rollback,
            incoming: incoming)
        unlink(files.starting)
    }

    /// After the source's migration completed: the NICs' `post` phase (routed, ext) while the
    /// guest waits paused, then the guest runs and is announced (bridges learn where its MAC
    /// went), and the capabilities are cleared. Waits up to `timeout` for the migration to land.
    /// The runtime was saved by `accept`, so a failure later finds every file a stop needs.
    /// - Parameter paused: leave the guest paused (else it runs, whether it waited for `post`
    ///   or arrived paused from a source that was stopped, as `--offline` does).
    public func finalizeIncoming(
        _ name: String, timeout: Duration, paused: Bool = false
    ) throws(InstanceError) -> IncomingOutcome {
        let operation = "finalize"
        let files = try self.files(name, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        let (runtime, marker) = try incomingState(files, operation)
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(
                .qemu, name, operation, step: "finding qemu",
                "the target's qemu is gone (the migration failed): finalize --failure clears what is left")
        }
        var step = "connecting QMP"
        let deadline = Deadline(after: timeout)
        do {
            let qmp = try QMPConnection.connect(path: files.qmpSocket, deadline: deadline)
            defer { qmp.close() }
            step = "waiting for the guest to arrive"
            var (running, resumedAt) = try waitForArrival(qmp, deadline)
            try FaultPoint.reach("finalize.arrived", files)
            var warnings: [String] = []
            let waitsForPost = marker["waits_for_post"] == .bool(true)
            if waitsForPost {
                let tags = savedTags(files)
                for (index, nic) in runtime.nics.enumerated() where IncomingMigration.post(mode: nic.mode) {
                    step = "NIC \(index) post-migration up hook"
                    var call = NICHookCall(
                        action: .up, instance: name, tags: tags, nic: nic, index: index,
                        interface: tapName(files, index) ?? "")
                    call.phase = .post
                    do {
                        try nicHook(call)
                    } catch {
                        // As Ganeti: logged, and the guest runs; its NIC is as far as the hook got.
                        warnings.append("NIC \(index): \(error)")
                        logger.error(
                            "NIC \(index) post-migration up failed",
                            metadata: ["instance": "\(name)", "error": "\(error)"])
                    }
                }
            }
            if !running, !paused {
                step = "resuming the CPUs"
                _ = try qmp.execute("cont", deadline: deadline)
                resumedAt = try qmp.waitForEvent("RESUME", timeout: deadline.remaining).timestamp
                running = true
            }
            step = "announcing the guest"
            // qemu announces at its own resume; a guest that waited for `post` had those rounds
            // queued while paused, so they are sent again, spaced.
            _ = try qmp.execute(
                "announce-self",
                arguments: ["initial": 50, "max": 550, "rounds": 5, "step": 100], deadline: deadline)
            step = "clearing the migration capabilities"
            _ = try qmp.execute(
                "migrate-set-capabilities", arguments: Self.capabilities(Self.clearedCapabilities, on: false),
                deadline: deadline)
            try FaultPoint.reach("finalize.resumed", files)
            unlink(files.incoming)
            var call = lifecycleCall(.postMigrate, files, spec: nil, runtime: runtime)
            (call.role, call.success) = ("target", true)
            reportingLifecycle(call)
            logger.info("incoming migration finalized", metadata: ["instance": "\(name)"])
            return IncomingOutcome(
                instance: name, waitedForPost: waitsForPost, running: running, resumedAt: resumedAt,
                warnings: warnings)
        } catch let error as InstanceError {
            throw error
        } catch {
            throw InstanceError(name, operation, step: step, caused: error, else: .qemu)
        }
    }

    /// After a failed migration, on the target: its qemu ended, every NIC's `down`, every file
    /// removed, although this node never ran the instance (Ganeti J.7). Nothing left of it is
    /// success, so that an orchestrator may always call it after a failure.
    public func abandonIncoming(_ name: String) throws(InstanceError) {
        let operation = "finalize"
        let files = try self.files(name, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        guard FileManager.default.fileExists(atPath: files.incoming) else {
            // Nothing of it here (the target's qemu ended with its source, and a daemon cleared
            // it): done. One that runs here as a normal instance is not this verb's to end.
            guard !exists(files) else {
                throw InstanceError(
                    .busy, name, operation, step: "finding the incoming migration",
                    "it runs here, not as a migration target: stop it to end it")
            }
            return
        }
        try halt(files, force: true, timeout: .zero, operation)
        var call = lifecycleCall(.postMigrate, files, spec: nil, runtime: try? savedRuntime(files, operation))
        (call.role, call.success) = ("target", false)
        reportingLifecycle(call)
        try clean(files, operation)
    }

    /// The runtime and the marker of an incoming migration.
    private func incomingState(
        _ files: InstanceFiles, _ operation: String
    ) throws(InstanceError) -> (QemuRuntime, JSONValue) {
        guard let markerBytes = FileManager.default.contents(atPath: files.incoming) else {
            throw InstanceError(
                .notFound, files.name, operation, step: "finding the incoming migration",
                "no incoming migration of it on this node")
        }
        do {
            let marker = try JSONValue.parse(markerBytes)
            let runtime = try QemuRuntime.load(
                FileManager.default.contents(atPath: files.runtime) ?? Data(), name: files.runtime
            ).runtime
            return (runtime, marker)
        } catch {
            throw InstanceError(.state, files.name, operation, step: "reading its files", "\(error)")
        }
    }

    /// Waits until the guest has arrived (qemu's status is no longer `inmigrate`): whether it
    /// runs, and its RESUME's timestamp when that came while waiting. A failed load is an error.
    private func waitForArrival(_ qmp: QMPConnection, _ deadline: Deadline) throws -> (Bool, Double?) {
        var resumedAt: Double?
        while true {
            guard case .object(let status) = try qmp.execute("query-status", deadline: deadline),
                let state = status["status"]?.stringValue
            else { throw QMPError(.protocol, "query-status answered no status") }
            switch state {
            case "inmigrate":
                break
            case "running":
                return (true, resumedAt)
            case "paused", "postmigrate", "prelaunch", "finish-migrate":
                return (false, nil)
            default:
                throw NodeError(.file, "the guest did not arrive: qemu's status is \(state)")
            }
            // Woken by qemu's events (the target has `events` on), not by polling; a long
            // migration may send none for a while, so status is asked again every second.
            guard !deadline.hasPassed else {
                throw QMPError(.timeout, "the guest did not arrive within \(deadline.budget.shortText)")
            }
            let event: QMPEvent
            do {
                event = try qmp.nextEvent(timeout: min(deadline.remaining, .seconds(1)))
            } catch {
                if error.code == .timeout { continue }
                throw error
            }
            if event.name == "RESUME" { resumedAt = event.timestamp }
            if event.name == "MIGRATION", let status = event.data["status"]?.stringValue,
                status == "failed" || status == "cancelled"
            {
                throw NodeError(.file, "the incoming migration \(status)")
            }
        }
    }

    // MARK: - Source

    /// Migrates the instance to the target listening at `target`, telling `progress` what qemu
    /// reports about every `progressInterval`, and ends the source once qemu's MIGRATION event
    /// says `completed` (every NIC's `down`, qemu gone, its files removed). On a failure, or once
    /// `cancelled()` is true, the migration is cancelled and the source runs on (resumed if it
    /// was stopped for `offline`), with its capabilities cleared.
    public func migrate(
        _ name: String, to target: MigrationAddress, settings: MigrationSettings,
        progressInterval: Duration = .milliseconds(500), progress: (MigrationProgress) -> Void,
        cancelled: () -> Bool
    ) throws(InstanceError) -> MigrationOutcome {
        let operation = "migrate"
        let files = try self.files(name, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        guard let runtimeBytes = FileManager.default.contents(atPath: files.runtime) else {
            throw InstanceError(.notFound, name, operation, step: "reading the runtime", "no such instance")
        }
        guard !FileManager.default.fileExists(atPath: files.incoming) else {
            throw InstanceError(
                .busy, name, operation, step: "checking the instance",
                "it is the target of a migration that is not finalized")
        }
        let runtime: QemuRuntime
        do {
            runtime = try QemuRuntime.load(runtimeBytes, name: files.runtime).runtime
        } catch {
            throw InstanceError(.state, name, operation, step: "reading the runtime", error.description)
        }
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.conflict, name, operation, step: "finding qemu", "its qemu does not run")
        }
        var preMigrate = lifecycleCall(.preMigrate, files, spec: nil, runtime: runtime)
        preMigrate.role = "source"
        try refusingLifecycle(preMigrate, operation)
        var moved = false
        // A migration that fails from here leaves the guest running here: told so.
        defer {
            if !moved {
                var call = lifecycleCall(.postMigrate, files, spec: nil, runtime: runtime)
                (call.role, call.success) = ("source", false)
                reportingLifecycle(call)
            }
        }
        var step = "connecting QMP"
        let qmp: QMPConnection
        do {
            qmp = try QMPConnection.connect(path: files.qmpSocket, timeout: .seconds(10))
        } catch {
            throw InstanceError(name, operation, step: step, caused: error, else: .qemu)
        }
        defer { qmp.close() }
        var stoppedByUs = false
        let capabilities = MigrationSettings.capabilities(postcopy: settings.postcopy)
        var run = MigrationRun()
        do {
            step = "checking the guest"
            let status = try Self.status(qmp)
            guard status == "running" || status == "paused" else {
                throw InstanceError(
                    .conflict, name, operation, step: step,
                    "qemu's status is \(status): only a running or paused guest moves")
            }
            if settings.offline, status == "running" {
                step = "stopping the guest"
                _ = try qmp.execute("stop")
                stoppedByUs = true
            }
            step = "setting the migration parameters"
            let bandwidth = settings.bandwidth ?? runtime.hvparams.int("migration_bandwidth")
            let downtime = settings.downtime ?? runtime.hvparams.int("migration_downtime")
            _ = try qmp.execute(
                "migrate-set-parameters",
                arguments: [
                    // qemu takes bytes per second; 0 is no cap here, which qemu spells as a large rate.
                    "max-bandwidth": .int(bandwidth > 0 ? Int64(bandwidth) << 20 : 1 << 40),
                    "downtime-limit": .int(Int64(downtime)),
                ])
            step = "setting the migration capabilities"
            _ = try qmp.execute("migrate-set-capabilities", arguments: Self.capabilities(capabilities, on: true))
            step = "starting the migration"
            _ = try qmp.execute("migrate", arguments: ["uri": .string(target.uri)])
            step = "migrating"
            try run.follow(
                qmp, postcopy: settings.postcopy, progressInterval: progressInterval, progress: progress,
                cancelled: cancelled)
        } catch {
            var failure =
                (error as? InstanceError)
                ?? InstanceError(name, operation, step: step, caused: error, else: .migration)
            if run.ended == "cancelled" {
                failure = InstanceError(.cancelled, name, operation, step: step, "cancelled: the source runs on")
            } else if let ended = run.ended {
                failure = InstanceError(
                    .migration, name, operation, step: step,
                    "the migration \(ended)\(run.errorText.map { ": \($0)" } ?? ""): the source runs on")
            }
            failure.undoFailures = recoverSource(
                files, qmp, stoppedByUs: stoppedByUs, mayResume: !run.postcopyActive, operation)
            throw failure
        }
        // Completed: with return-path the target has loaded the guest; this copy ends.
        var outcome = MigrationOutcome(
            instance: name, target: target.description, totalTime: 0, downtime: 0, setupTime: 0, transferred: 0,
            noticedAfter: run.noticedAfter, stoppedAt: run.stoppedAt, completedAt: run.completedAt)
        // qemu sends the event before it fills in its figures: asked again until they are there.
        for _ in 0..<20 {
            guard let answer = try? qmp.execute("query-migrate", timeout: .seconds(2)) else { break }
            outcome.totalTime = answer["total-time"]?.intValue ?? 0
            outcome.downtime = answer["downtime"]?.intValue ?? 0
            outcome.setupTime = answer["setup-time"]?.intValue ?? 0
            outcome.transferred = answer["ram"]?["transferred"]?.intValue ?? 0
            if outcome.totalTime > 0 { break }
            usleep(10_000)
        }
        _ = try? qmp.execute("quit", timeout: .seconds(2))
        qmp.close()
        if let qemu = QemuProcess.find(pidFile: files.pidFile), !qemu.terminate(grace: .seconds(5)) {
            throw InstanceError(
                .qemu, name, operation, step: "ending the source's qemu", "pid \(qemu.pid) survived SIGKILL")
        }
        moved = true
        var postMigrate = lifecycleCall(.postMigrate, files, spec: nil, runtime: runtime)
        (postMigrate.role, postMigrate.success) = ("source", true)
        reportingLifecycle(postMigrate)
        try clean(files, operation)
        logger.info(
            "instance migrated",
            metadata: [
                "instance": "\(name)", "target": "\(target)", "total_ms": "\(outcome.totalTime)",
                "downtime_ms": "\(outcome.downtime)",
            ])
        return outcome
    }

    /// Sends `migrate_cancel` to the instance's qemu on whichever of its sockets is free (the
    /// events socket when no daemon holds it): the `migrate` under way sees `cancelled`.
    public func cancelMigration(_ name: String) throws(InstanceError) {
        let operation = "migrate-cancel"
        let files = try self.files(name, operation)
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.notFound, name, operation, step: "finding qemu", "no qemu runs for it")
        }
        var lastError: (any Error)?
        for socket in [files.eventsSocket, files.qmpSocket] {
            do {
                let qmp = try QMPConnection.connect(path: socket, timeout: .milliseconds(1500))
                defer { qmp.close() }
                let status = try qmp.execute("query-migrate")["status"]?.stringValue ?? "none"
                guard ["setup", "active", "pre-switchover", "device", "wait-unplug"].contains(status) else {
                    throw InstanceError(
                        .conflict, name, operation, step: "asking qemu",
                        "no migration of it runs that can be cancelled (qemu's migration status: \(status))")
                }
                _ = try qmp.execute("migrate_cancel")
                return
            } catch let error as InstanceError {
                throw error
            } catch {
                lastError = error
            }
        }
        throw InstanceError(name, operation, step: "asking qemu", caused: lastError!, else: .qemu)
    }

    /// A source whose migration failed runs on: resumed when this migration stopped it or qemu
    /// left it `postmigrate`, its capabilities cleared; if its qemu died, it is cleaned up as a
    /// stop would (Ganeti's FinalizeMigrationSource). After postcopy began the guest ran on the
    /// target: the source is not resumed (two running copies would be worse than none).
    /// Returns what could not be done.
    private func recoverSource(
        _ files: InstanceFiles, _ qmp: QMPConnection, stoppedByUs: Bool, mayResume: Bool, _ operation: String
    ) -> [String] {
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            do {
                try clean(files, operation)
                return ["the source's qemu is gone: its NICs were taken down and its files removed"]
            } catch {
                return ["the source's qemu is gone and its cleanup failed: \(error)"]
            }
        }
        var failures: [String] = []
        do {
            let status = try Self.status(qmp)
            if !mayResume {
                failures.append("postcopy had begun: the source stays \(status), not resumed")
            } else if status == "postmigrate" || (stoppedByUs && status == "paused") {
                _ = try qmp.execute("cont")
            }
        } catch {
            failures.append("resuming the source: \(error)")
        }
        do {
            _ = try qmp.execute(
                "migrate-set-capabilities", arguments: Self.capabilities(Self.clearedCapabilities, on: false))
        } catch {
            failures.append("clearing the migration capabilities: \(error)")
        }
        return failures
    }

    /// What every migration clears after it, whatever its outcome: a leftover `postcopy-ram`
    /// breaks the next migration out of this qemu. `events` stays (nothing depends on it off).
    static let clearedCapabilities = ["return-path", "postcopy-ram"]

    /// `migrate-set-capabilities`' arguments.
    static func capabilities(_ names: [String], on: Bool) -> [String: JSONValue] {
        ["capabilities": .array(names.map { .object(["capability": .string($0), "state": .bool(on)]) })]
    }

    static func status(_ qmp: QMPConnection) throws -> String {
        guard let status = try qmp.execute("query-status")["status"]?.stringValue else {
            throw QMPError(.protocol, "query-status answered no status")
        }
        return status
    }
}

import Foundation
import Node
import QEMU

/// Migration through the daemon: the same steps as the CLI's, serialised with the instance's
/// other operations; a migration's progress is published as `migration` events.
extension InstanceRegistry {
    func migrationInfo(_ name: String) async throws(InstanceError) -> MigrationInfo {
        let shared = shared
        return try await executor.run { () throws(InstanceError) in try shared.manager.migrationInfo(name) }
    }

    /// qemu listening for the instance, watched from the start: its RESUME says it arrived.
    func accept(
        _ migration: MigrationInfo, listen: MigrationAddress, postcopy: Bool, reason: String?
    ) async throws(InstanceError) -> InstanceInfo {
        let name = migration.instance
        try await run(name, "accept", reason: reason) {
            try await $0.accept(migration, listen: listen, postcopy: postcopy)
        }
        live[name] = .paused
        await attach(name)
        publish(name, state: .paused, reason: "incoming-migration", trail: reason)
        return try await info(name)
    }

    func finalize(
        _ name: String, success: Bool, timeout: Duration, paused: Bool, reason: String?
    ) async throws(InstanceError) -> IncomingOutcome? {
        guard success else {
            try await detached(name, "finalize", reason: reason) { try $0.abandonIncoming(name) }
            publish(name, state: .stopped, reason: "incoming-migration-abandoned", trail: reason)
            return nil
        }
        let outcome = try await run(name, "finalize", reason: reason) {
            try $0.finalizeIncoming(name, timeout: timeout, paused: paused)
        }
        let state: InstanceState = outcome.running ? .running : .paused
        live[name] = state
        publish(name, state: state, reason: "migrated-in", trail: reason)
        return outcome
    }

    /// The source's side. Its events session is let go for the migration (the source's end is
    /// this operation's, not news); one that fails watches again.
    func migrate(
        _ name: String, to target: MigrationAddress, settings: MigrationSettings, reason: String?
    ) async throws(InstanceError) -> MigrationOutcome {
        let events = events
        do {
            let outcome = try await detached(name, "migrate", reason: reason) {
                try $0.migrate(
                    name, to: target, settings: settings,
                    progress: { events.publish(DaemonEvent(kind: "migration", instance: name, migration: $0)) },
                    cancelled: { false })
            }
            // How it ended, however short it was (progress is told every half second).
            events.publish(
                DaemonEvent(kind: "migration", instance: name, reason: "completed", qmpTime: outcome.completedAt))
            publish(name, state: .stopped, reason: "migrated-out", trail: reason)
            return outcome
        } catch {
            events.publish(DaemonEvent(kind: "migration", instance: name, reason: error.code.rawValue))
            throw error
        }
    }

    /// `migrate_cancel` to the instance's qemu: not serialised, since the migration it cancels
    /// is the operation that holds the instance.
    func cancelMigration(_ name: String) async throws(InstanceError) {
        let shared = shared
        try await executor.run { () throws(InstanceError) in try shared.manager.cancelMigration(name) }
    }

    /// Node to node: the target's daemon accepts, this one migrates, the target's finalizes
    /// (`--failure` after a failed migration); no orchestrator between them. A failure on
    /// either side is finalised on both, and the answer says which side failed.
    func migrate(
        _ name: String, to target: MigrationAddress, through peer: PeerDaemon, settings: MigrationSettings,
        reason: String?
    ) async throws(InstanceError) -> MigrationOutcome {
        let info = try await migrationInfo(name)
        let path = "/v1/instances/\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)"
        var trail: [String: JSONValue] = [:]
        if let reason { trail["reason"] = .string(reason) }
        do {
            _ = try await peer.post(
                path + "/accept",
                .object(
                    trail.merging([
                        "migration_info": info.json(), "listen": .string(target.description),
                        "postcopy": .bool(settings.postcopy),
                    ]) { $1 }))
        } catch {
            throw InstanceError(.migration, name, "migrate", step: "the target's accept", "\(error)")
        }
        var outcome: MigrationOutcome
        do {
            outcome = try await migrate(name, to: target, settings: settings, reason: reason)
        } catch {
            var failure = error
            do {
                _ = try await peer.post(path + "/finalize", .object(trail.merging(["success": false]) { $1 }))
            } catch {
                failure.undoFailures.append("the target's finalize --failure: \(error)")
            }
            throw failure
        }
        do {
            let answer = try await peer.post(path + "/finalize", .object(trail.merging(["success": true]) { $1 }))
            outcome.arrival = try? JSONDecoder().decode(IncomingOutcome.self, from: Data(answer.text().utf8))
        } catch {
            // The guest left this node: the target has it, and an operator must look there.
            throw InstanceError(
                .migration, name, "migrate", step: "the target's finalize",
                "the guest moved, but the target's finalize failed: \(error)")
        }
        return outcome
    }
}

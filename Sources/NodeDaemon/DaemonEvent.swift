import Foundation
import Node

/// One event of `GET /v1/events`: an instance's state changed (with the reason), a hook ran, the
/// hooks were reloaded or a new version refused. `id` orders them; a client that reconnects with
/// `Last-Event-ID` is sent what it missed from the hub's history.
struct DaemonEvent: Sendable, Codable, Equatable {
    /// `instance-state`, `hook`, `migration`, `nic-added`, `nic-removed`, `disk-added`,
    /// `disk-removed`, `lifecycle-failed`, `hooks-reloaded`, `hooks-refused`, `warning`.
    var kind: String
    var id: Int = 0
    /// When the daemon published it (seconds since the epoch).
    var time: Double = 0
    var instance: String?
    /// For `instance-state`: the new state and why (`guest-shutdown`, `crashed`, `started`, ...).
    var state: String?
    var reason: String?
    /// The operation's reason trail, where an API caller gave one.
    var trail: String?
    /// qemu's own timestamp of the QMP event behind it, for latency.
    var qmpTime: Double?
    var message: String?
    /// For `hook`: the NIC hook call (NIC, action, file, version, seconds, error).
    var hook: HookRun?
    /// For `migration`: how far the instance's migration is (status, percent, rates).
    var migration: MigrationProgress?

    /// The event as Server-Sent Events text.
    var serverSentEvent: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(id)\nevent: \(kind)\ndata: \(data)\n\n"
    }
}

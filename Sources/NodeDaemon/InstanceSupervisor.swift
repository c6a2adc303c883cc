import Foundation
import Logging
import Node
import QEMU
import QMP

/// One running instance's watcher: it holds the instance's QMP events session (the `.events`
/// socket, beside the `.qmp` one the operations use), so the daemon knows the instance's state
/// from qemu's events without asking qemu each time, and learns at once when the guest powers
/// itself off or qemu goes.
///
/// The session's reader thread hands each update to a stream, which one task drains in order
/// into the registry: the updates of one instance are never reordered.
final class InstanceSupervisor: Sendable {
    let name: String
    private let session: QMPSession
    private let drain: Task<Void, Never>

    /// Opens the session and starts handing its updates to `registry`.
    init(name: String, eventsSocket: String, registry: InstanceRegistry) throws(QMPError) {
        self.name = name
        let (stream, continuation) = AsyncStream.makeStream(of: QMPSession.Update.self)
        session = try QMPSession.open(path: eventsSocket, timeout: .seconds(5)) { update in
            continuation.yield(update)
            // No update follows the end: the drain ends with it.
            if case .ended = update { continuation.finish() }
        }
        drain = Task {
            for await update in stream { await registry.handle(name, update) }
        }
    }

    /// Stops watching (the instance is stopped by an operation, or the daemon stops); qemu is
    /// not touched.
    func close() {
        session.close()
        drain.cancel()
    }

    /// A command on the held session (no connect, no greeting).
    func execute(_ command: String) throws(QMPError) -> JSONValue {
        try session.execute(command, timeout: .seconds(5))
    }
}

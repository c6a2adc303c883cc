import Foundation
import Logging
import Metrics
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
    private let updates: AsyncStream<QMPSession.Update>.Continuation

    private let stream: AsyncStream<QMPSession.Update>

    /// Opens the session; its updates wait until ``begin(registry:)``.
    init(name: String, eventsSocket: String) throws(QMPError) {
        self.name = name
        let (stream, continuation) = AsyncStream.makeStream(of: QMPSession.Update.self)
        session = try QMPSession.open(path: eventsSocket, timeout: .seconds(5)) { update in
            continuation.yield(update)
            // No update follows the end: the drain ends with it.
            if case .ended = update { continuation.finish() }
        }
        updates = continuation
        self.stream = stream
    }

    /// Hands the updates, in order, to `registry`, which has this supervisor by then. It ends with
    /// the session's end, or when closed: what is buffered still reaches the registry, which
    /// ignores the news of a supervisor it let go of.
    func begin(registry: InstanceRegistry) {
        let stream = stream
        Task {
            for await update in stream { await registry.handle(self, update) }
        }
    }

    /// Stops watching (the instance is stopped by an operation, or the daemon stops); qemu is
    /// not touched.
    func close() {
        session.close()
        updates.finish()
    }

    /// A command on the held session (no connect, no greeting).
    func execute(_ command: String, timeout: Duration) throws(QMPError) -> JSONValue {
        let started = ContinuousClock.now
        defer {
            Metrics.Timer(label: "taphouse_qmp_round_trip_seconds", dimensions: [("command", command)])
                .recordInterval(since: started)
        }
        return try session.execute(command, timeout: timeout)
    }
}

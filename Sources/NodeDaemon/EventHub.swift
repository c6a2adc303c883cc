import Foundation

/// The daemon's events: numbered, kept in a bounded history for clients that reconnect, and
/// handed to every subscriber as they come. A subscriber that does not keep up loses the oldest
/// of its buffer, never blocks the publisher.
///
/// Publishing is synchronous (a lock, not an actor), so events keep the order their causes had:
/// a hook's event, published from the thread that ran it, comes before the state change of the
/// operation that called the hook.
final class EventHub: @unchecked Sendable {
    static let historyLimit = 1024
    static let subscriberBuffer = 4096

    private let lock = NSLock()
    private var history: [DaemonEvent] = []
    private var nextID = 1
    private var subscribers: [UUID: AsyncStream<DaemonEvent>.Continuation] = [:]

    /// Publishes `event` with the next id and the time now; returns it.
    @discardableResult
    func publish(_ event: DaemonEvent) -> DaemonEvent {
        lock.withLock {
            var event = event
            event.id = nextID
            nextID += 1
            event.time = Date().timeIntervalSince1970
            history.append(event)
            if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
            for continuation in subscribers.values { continuation.yield(event) }
            return event
        }
    }

    /// What came after `lastID` (all the history when nil, or when `lastID` is older than it),
    /// then every new event, until the stream is dropped.
    func subscribe(after lastID: Int?) -> AsyncStream<DaemonEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: DaemonEvent.self, bufferingPolicy: .bufferingNewest(Self.subscriberBuffer))
        let key = UUID()
        lock.withLock {
            if let lastID {
                for event in history where event.id > lastID { continuation.yield(event) }
            }
            subscribers[key] = continuation
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(key) }
        return stream
    }

    /// Ends every stream: the daemon is stopping.
    func finishAll() {
        let ending = lock.withLock {
            defer { subscribers = [:] }
            return Array(subscribers.values)
        }
        for continuation in ending { continuation.finish() }
    }

    private func unsubscribe(_ key: UUID) { _ = lock.withLock { subscribers.removeValue(forKey: key) } }
}

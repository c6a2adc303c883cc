import Foundation
import QEMU

/// A QMP connection held open for the life of an instance, as the node daemon keeps one on each
/// instance's `.events` socket: a thread of its own reads events as qemu sends them and hands
/// each to the handler; commands share the connection; the end (qemu exited, the socket broke)
/// is reported once, as ``Update/ended(_:)``.
///
/// The CLI does not use it: its operations are short, on the `.qmp` socket, through
/// ``QMPConnection`` (connect, use, close). qemu serves one client per socket, so the session and
/// the short operations never wait on each other.
public final class QMPSession: @unchecked Sendable {
    /// What the handler is told, on the session's thread.
    public enum Update: Sendable {
        case event(QMPEvent)
        /// qemu sends events faster than the session takes them: said once; the rest are
        /// counted (``droppedEvents``) and dropped.
        case warning(String)
        /// The connection is over (qemu exited: `.closed`; or a protocol error); no update follows.
        case ended(QMPError)
    }

    public let path: String
    /// The connection; touched only under `lock`.
    private let connection: QMPConnection
    private let lock = NSLock()
    /// Commands waiting for the connection: the reader lets them go first, so a steady stream of
    /// events cannot starve them.
    private let turn = NSCondition()
    private var waitingCommands = 0
    private var open = true
    private let done = DispatchSemaphore(value: 0)
    /// The reader's thread: a handler that closes the session must not wait for itself.
    private var reader: pthread_t?
    /// A warning the connection raised under `lock`, for the reader to hand out after it.
    private var warning: String?

    /// Events qemu sent past the rate, dropped.
    public var droppedEvents: Int { lock.withLock { connection.droppedEvents } }

    /// How long the reader holds the connection per look for an event: the longest a command
    /// waits for its turn.
    static let readSlice: Duration = .milliseconds(20)

    private init(connection: QMPConnection) {
        self.connection = connection
        path = connection.path
    }

    /// Connects (greeting and capabilities within `timeout`) and starts reading events.
    public static func open(
        path: String, timeout: Duration, handler: @escaping @Sendable (Update) -> Void
    ) throws(QMPError) -> QMPSession {
        let session = QMPSession(connection: try QMPConnection.connect(path: path, timeout: timeout))
        // Called under the lock, by whichever thread read the event: kept for the reader.
        session.connection.onWarning = { [unowned session] in session.warning = $0 }
        let thread = Thread { session.read(handler) }
        thread.name = "qmp \(path)"
        thread.start()
        return session
    }

    /// Runs a command on the session's connection; see ``QMPConnection/execute(_:arguments:timeout:)``.
    /// Events that arrive meanwhile still reach the handler, in order.
    public func execute(
        _ command: String, arguments: [String: JSONValue] = [:], timeout: Duration = .seconds(10)
    ) throws(QMPError) -> JSONValue {
        turn.withLock { waitingCommands += 1 }
        lock.lock()
        defer {
            lock.unlock()
            turn.withLock {
                waitingCommands -= 1
                turn.broadcast()
            }
        }
        guard open else { throw QMPError(.closed, "QMP session on \(path) was closed", command: command) }
        return try connection.execute(command, arguments: arguments, timeout: timeout)
    }

    /// Ends the session: the reader stops (no ``Update/ended(_:)`` for an end asked for) and the
    /// socket is closed, which lets qemu greet the next client. Returns once the reader is done,
    /// or at once when the handler itself calls it.
    public func close() {
        let reader = lock.withLock {
            if open {
                open = false
                connection.close()
            }
            return self.reader
        }
        if let reader, pthread_equal(reader, pthread_self()) != 0 { return }
        done.wait()
        done.signal()  // a second close returns at once
    }

    private func read(_ handler: @Sendable (Update) -> Void) {
        lock.withLock { reader = pthread_self() }
        defer { done.signal() }
        while true {
            turn.withLock { while waitingCommands > 0 { turn.wait() } }
            let (outcome, warning): (Result<QMPEvent, QMPError>?, String?) = lock.withLock {
                guard open else { return (nil, nil) }
                let outcome = Result { () throws(QMPError) in try connection.nextEvent(timeout: Self.readSlice) }
                defer { self.warning = nil }
                return (outcome, self.warning)
            }
            if let warning { handler(.warning(warning)) }
            switch outcome {
            case nil:
                return
            case .success(let event):
                handler(.event(event))
            case .failure(let error) where error.code == .timeout:
                continue
            case .failure(let error):
                lock.withLock {
                    open = false
                    connection.close()
                }
                handler(.ended(error))
                return
            }
        }
    }
}

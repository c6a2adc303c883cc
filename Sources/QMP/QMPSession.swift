import Foundation
import QEMU

/// A QMP connection held open for the life of an instance, as the node daemon keeps one on each
/// instance's `.events` socket. One thread of its own reads everything qemu sends, blocked in
/// the kernel until something comes (nothing wakes it on a timer): events go to the handler,
/// answers to the command waiting for them by id. So a command on the held session costs one
/// round trip, and events reach the handler as they arrive whatever commands are in flight.
///
/// The end (qemu exited, the socket broke) is reported once, as ``Update/ended(_:)``. Events
/// past a rate (``EventRateLimit``) are counted and dropped with one ``Update/warning(_:)``.
/// The handler runs on the reader thread: it must hand work on, not call ``execute(_:arguments:timeout:)``
/// (whose answer that same thread would have to read).
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

    /// How long the reader pauses after every ``dropsBetweenPauses`` events it drops while
    /// nothing waits for an answer.
    static let floodPause: TimeInterval = 0.02
    static let dropsBetweenPauses = 16

    public let path: String
    private let socket: UnixSocket
    /// Guards everything below; commands wait on it for their answers.
    private let state = NSCondition()
    private var answers: [String: Result<JSONValue, QMPError>] = [:]
    private var waiting: Set<String> = []
    private var nextID = 1
    private var failure: QMPError?
    private var closing = false
    private var dropped = 0
    /// One request is written at a time.
    private let writing = NSLock()
    private let done = DispatchSemaphore(value: 0)
    /// The reader's thread: a handler that closes the session must not wait for itself.
    private var reader: pthread_t?

    private init(path: String, socket: UnixSocket) {
        self.path = path
        self.socket = socket
    }

    /// Events qemu sent past the rate, dropped.
    public var droppedEvents: Int { state.withLock { dropped } }

    /// Connects (greeting and capabilities within `timeout`) and starts reading.
    public static func open(
        path: String, timeout: Duration, handler: @escaping @Sendable (Update) -> Void
    ) throws(QMPError) -> QMPSession {
        let connection = try QMPConnection.connect(path: path, timeout: timeout)
        let (socket, lines, queued) = connection.handOver()
        let session = QMPSession(path: path, socket: socket)
        let thread = Thread { session.read(lines, queued, handler) }
        thread.name = "qmp \(path)"
        thread.start()
        return session
    }

    /// Runs a command on the held connection and returns its `return` value; qemu's refusal is a
    /// `.command` error, no answer by `timeout` a `.timeout` (its late answer is dropped).
    public func execute(
        _ command: String, arguments: [String: JSONValue] = [:], timeout: Duration = .seconds(10)
    ) throws(QMPError) -> JSONValue {
        let deadline = Deadline(after: timeout)
        state.lock()
        if let failure {
            state.unlock()
            throw QMPError(failure.code, failure.message, command: command, errno: failure.errno)
        }
        if closing {
            state.unlock()
            throw QMPError(.closed, "QMP session on \(path) was closed", command: command)
        }
        let id = "s-\(nextID)"
        nextID += 1
        waiting.insert(id)
        // A reader paused by a flood reads on: this command's answer is behind the events.
        state.broadcast()
        state.unlock()
        let request = try QMPMessage.request(command, arguments: arguments, id: id)
        do throws(QMPError) {
            writing.lock()
            defer { writing.unlock() }
            // The reader released the descriptor (qemu went) after the check above.
            guard socket.isOpen else { throw QMPError(.closed, "QMP session on \(path) ended", command: command) }
            guard try socket.write(request, until: deadline) else {
                // Part of a request may be out: nothing written after it would be read right.
                socket.shutdown()
                throw QMPError(
                    .timeout, "qemu took no request within \(timeout.shortText) on \(path)", command: command)
            }
        } catch {
            _ = state.withLock { waiting.remove(id) }
            throw error
        }
        let until = Date().addingTimeInterval(
            Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18)
        state.lock()
        defer { state.unlock() }
        while answers[id] == nil && failure == nil && !deadline.hasPassed {
            _ = state.wait(until: until)
        }
        waiting.remove(id)
        if let answer = answers.removeValue(forKey: id) {
            switch answer {
            case .success(let value): return value
            case .failure(var error):
                error.command = command
                throw error
            }
        }
        if let failure { throw QMPError(failure.code, failure.message, command: command, errno: failure.errno) }
        var text = "no answer within \(timeout.shortText) on \(path)"
        if dropped > 0 { text += " (\(dropped) events dropped so far)" }
        throw QMPError(.timeout, text, command: command)
    }

    /// Ends the session: the reader stops (no ``Update/ended(_:)`` for an end asked for) and the
    /// socket is closed, which lets qemu greet the next client. Returns once the reader is done,
    /// or at once when the handler itself calls it.
    public func close() {
        // The shutdown under the lock the reader releases the descriptor under: never one that
        // was released (and perhaps given to another file) meanwhile.
        let reader = state.withLock {
            closing = true
            state.broadcast()
            socket.shutdown()
            return self.reader
        }
        if let reader, pthread_equal(reader, pthread_self()) != 0 { return }
        done.wait()
        done.signal()  // a second close returns at once
    }

    private func read(_ lines: LineBuffer, _ queued: [QMPEvent], _ handler: @Sendable (Update) -> Void) {
        state.withLock { reader = pthread_self() }
        defer {
            // Released under both locks: a command being written and a close's shutdown hold
            // one of them, so neither meets a descriptor released under it.
            writing.withLock { state.withLock { socket.close() } }
            done.signal()
        }
        var lines = lines
        var limit = EventRateLimit()
        let forever = Deadline(after: .seconds(1 << 40))
        func take(_ event: QMPEvent) {
            if limit.admit(event.name) {
                handler(.event(event))
                return
            }
            let first = state.withLock {
                dropped += 1
                // Backpressure: while qemu floods and no command waits for its answer, the
                // reader pauses every so many drops, so the socket fills and the flood costs qemu
                // its own time rather than this process's (an event behind a full socket's
                // backlog still comes within two seconds); a command sent meanwhile wakes it at once.
                if dropped % Self.dropsBetweenPauses == 0 && waiting.isEmpty && !closing {
                    _ = state.wait(until: Date().addingTimeInterval(Self.floodPause))
                }
                return dropped == 1
            }
            if first {
                handler(
                    .warning(
                        "qemu on \(path) sends \(event.name) events faster than \(Int(EventRateLimit.perSecond)) a second: "
                            + "dropping what is past that, counted"))
            }
        }
        for event in queued { take(event) }
        var ending: QMPError
        reading: while true {
            do throws(QMPError) {
                while let line = try lines.nextLine() {
                    switch try QMPMessage.parse(line) {
                    case .event(let event):
                        take(event)
                    case .success(let id?, let value):
                        answer(id, .success(value))
                    case .failure(let id, let errorClass, let description):
                        let error = QMPError(.command, description, errorClass: errorClass)
                        // Without an id it is qemu's reply to a request it could not parse: the
                        // oldest waiting one's.
                        if let id = id ?? state.withLock({ waiting.sorted().first }) { answer(id, .failure(error)) }
                    case .success(nil, _):
                        throw QMPError(.protocol, "answer without id on \(path)")
                    case .greeting:
                        throw QMPError(.protocol, "second QMP greeting on \(path)")
                    }
                }
                switch try socket.read(until: forever) {
                case .bytes(let chunk):
                    lines.append(chunk)
                case .timedOut:
                    continue
                case .endOfFile:
                    let partial = lines.isEmpty ? "" : " in the middle of a message"
                    ending = QMPError(.closed, "qemu closed QMP socket \(path)\(partial) (it exited?)")
                    break reading
                }
            } catch {
                ending = error
                break reading
            }
        }
        let asked = state.withLock {
            failure = ending
            state.broadcast()
            return closing
        }
        if !asked { handler(.ended(ending)) }
    }

    /// An answer for a waiting command; one for a command that gave up is dropped.
    private func answer(_ id: String, _ result: Result<JSONValue, QMPError>) {
        state.withLock {
            guard waiting.contains(id) else { return }
            answers[id] = result
            state.broadcast()
        }
    }
}

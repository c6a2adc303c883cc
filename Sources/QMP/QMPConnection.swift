import QEMU

/// A client of one qemu QMP socket: connects, negotiates capabilities, runs commands and
/// collects the events qemu sends in between.
///
/// qemu serves one client per QMP socket at a time: a second client's connect succeeds, but it
/// gets no greeting until the first one closes. ``connect(path:timeout:)`` therefore bounds the
/// greeting wait and says so when it times out, and callers keep connections short on sockets
/// they share (design §3).
///
/// Every wait (connect, greeting, answer, event, even a write) is bounded by a deadline that no
/// stream of events or bytes extends: each message read is followed by a look at the clock. Events
/// past a rate (``EventRateLimit``) are counted and dropped with one warning, not queued. After a
/// command times out its late answer is recognised by its id and dropped, so the connection stays
/// usable; after qemu closes the socket every call throws `.closed`, but events read before that
/// are still handed out by ``waitForEvent(_:timeout:)``.
///
/// Not thread-safe: one caller at a time (a connection belongs to one task or thread, like the
/// socket under it), and ``onEvent`` must not call back into the connection.
public final class QMPConnection {
    /// The socket path, for messages.
    public let path: String
    /// qemu's version from the greeting ("7.2.0").
    public private(set) var qemuVersion: String = ""
    /// The capabilities qemu offered in its greeting (`oob`); none are enabled.
    public private(set) var capabilities: [String] = []
    /// Called for each event as it is read, before it is queued for ``waitForEvent(_:timeout:)``.
    public var onEvent: ((QMPEvent) -> Void)?
    /// Called once, when qemu first sends events faster than ``EventRateLimit`` takes them.
    public var onWarning: ((String) -> Void)?
    /// Events qemu sent past the rate, dropped.
    public var droppedEvents: Int { rateLimit.dropped }

    /// Events kept for ``waitForEvent(_:timeout:)`` beyond this are dropped oldest first: a
    /// connection that only runs commands must not grow without bound with events nobody asks for.
    public static let eventQueueLimit = 1024

    private let socket: UnixSocket
    private var lines = LineBuffer()
    private var events: [QMPEvent] = []
    private var nextID = 1
    /// Ids of requests given up on (timed out, or their wait ended on a line that is not QMP)
    /// whose answers may still come.
    private var abandoned: Set<String> = []
    /// Why the connection can no longer be used (EOF, ``close()``, a half-written request).
    private var broken: QMPError?
    private var rateLimit = EventRateLimit()

    private init(socket: UnixSocket) {
        self.socket = socket
        path = socket.path
    }

    /// Connects to a QMP Unix socket, reads the greeting and negotiates capabilities
    /// (`qmp_capabilities`); every wait is bounded by `timeout`, which covers the whole exchange.
    public static func connect(path: String, timeout: Duration) throws(QMPError) -> QMPConnection {
        try connect(path: path, deadline: Deadline(after: timeout))
    }

    /// Connects as ``connect(path:timeout:)`` does, by `deadline`: an operation's first step.
    public static func connect(path: String, deadline: Deadline) throws(QMPError) -> QMPConnection {
        let timeout = deadline.budget
        let connection = QMPConnection(socket: try UnixSocket.connect(path: path, deadline: deadline))
        guard let greeting = try connection.readMessage(until: deadline, command: nil) else {
            throw QMPError(
                .timeout, "no QMP greeting within \(timeout.shortText) on \(path), is another client connected?")
        }
        guard case .greeting(let version, let capabilities) = greeting else {
            throw QMPError(.protocol, "expected the QMP greeting on \(path), got \(greeting)")
        }
        connection.qemuVersion = version
        connection.capabilities = capabilities
        _ = try connection.run("qmp_capabilities", arguments: [:], deadline: deadline)
        return connection
    }

    /// Runs a command and returns its `return` value (an empty object as `.object([:])`).
    ///
    /// Request ids match answers; events that arrive meanwhile are queued and delivered to
    /// ``onEvent`` (if set) and kept for ``waitForEvent(_:timeout:)``. qemu's refusal is a
    /// `.command` error with its class and description.
    public func execute(
        _ command: String, arguments: [String: JSONValue] = [:], timeout: Duration = .seconds(10)
    ) throws(QMPError) -> JSONValue {
        try run(command, arguments: arguments, deadline: Deadline(after: timeout))
    }

    /// Runs a command as ``execute(_:arguments:timeout:)`` does, by an operation's `deadline`.
    public func execute(
        _ command: String, arguments: [String: JSONValue] = [:], deadline: Deadline
    ) throws(QMPError) -> JSONValue {
        try run(command, arguments: arguments, deadline: deadline)
    }

    /// Runs a command that takes a descriptor with it (`getfd`, `add-fd`): `fd` goes along the
    /// request (`SCM_RIGHTS`); qemu keeps its own duplicate, the caller still closes `fd`.
    public func execute(
        _ command: String, arguments: [String: JSONValue] = [:], passing fd: Int32, deadline: Deadline
    ) throws(QMPError) -> JSONValue {
        try run(command, arguments: arguments, deadline: deadline, passing: fd)
    }

    /// Returns the first queued or next arriving event named `name` (e.g. "SHUTDOWN"), or throws
    /// `.timeout` / `.closed` (qemu exited: EOF). Other events that arrive meanwhile are queued.
    public func waitForEvent(_ name: String, timeout: Duration) throws(QMPError) -> QMPEvent {
        try waitForEvent(named: name, timeout: timeout)
    }

    /// Returns the oldest queued event, or the next one to arrive, whatever its name: for a loop
    /// that handles every event.
    public func nextEvent(timeout: Duration) throws(QMPError) -> QMPEvent {
        try waitForEvent(named: nil, timeout: timeout)
    }

    /// Gives the socket, what was read past the last message and the queued events to a
    /// ``QMPSession`` that reads from now on; this connection is done.
    func handOver() -> (socket: UnixSocket, lines: LineBuffer, events: [QMPEvent]) {
        let queued = events
        events = []
        broken = QMPError(.closed, "QMP connection to \(path) was handed to a session")
        return (socket, lines, queued)
    }

    /// Closes the socket, which lets qemu greet its next client. Queued events stay available.
    public func close() {
        socket.close()
        if broken == nil { broken = QMPError(.closed, "QMP connection to \(path) was closed by this client") }
    }

    private func run(
        _ command: String, arguments: [String: JSONValue], deadline: Deadline, passing fd: Int32? = nil
    ) throws(QMPError) -> JSONValue {
        let timeout = deadline.budget
        if var broken {
            broken.command = command
            throw broken
        }
        let id = "taphouse-\(nextID)"
        nextID += 1
        let request = try QMPMessage.request(command, arguments: arguments, id: id)
        let written: Bool
        if let fd {
            written = try socket.write(request, passing: fd, until: deadline)
        } else {
            written = try socket.write(request, until: deadline)
        }
        guard written else {
            // Part of the request may be out; anything written after it would be read as its
            // continuation, so the connection is done.
            broken = QMPError(.closed, "QMP connection to \(path) dropped after a request timed out half-written")
            throw QMPError(.timeout, "qemu took no request within \(timeout.shortText) on \(path)", command: command)
        }
        do {
            return try awaitAnswer(to: id, command: command, deadline: deadline)
        } catch {
            // Whatever ended the wait (a timeout, a line that is not QMP), the answer may still
            // come; its id marks it as one to drop.
            if error.code != .command && broken == nil { abandoned.insert(id) }
            throw error
        }
    }

    private func awaitAnswer(to id: String, command: String, deadline: Deadline) throws(QMPError) -> JSONValue {
        while true {
            guard let message = try readMessage(until: deadline, command: command) else {
                var text = "no answer within \(deadline.budget.shortText) on \(path)"
                if droppedEvents > 0 { text += " (\(droppedEvents) events dropped meanwhile)" }
                throw QMPError(.timeout, text, command: command)
            }
            switch message {
            case .event(let event):
                if admit(event) {
                    onEvent?(event)
                    enqueue(event)
                }
            case .success(id, let value):
                return value
            case .failure(id, let errorClass, let description), .failure(nil, let errorClass, let description):
                // Without an id the refusal is qemu's reply to a request it could not parse, and ours
                // is the only one outstanding.
                throw QMPError(.command, description, command: command, errorClass: errorClass)
            case .success(let other?, _), .failure(let other?, _, _):
                guard abandoned.remove(other) != nil else {
                    throw QMPError(.protocol, "answer to unknown request id \(other) on \(path)", command: command)
                }
            case .success(nil, _):
                throw QMPError(.protocol, "answer without id on \(path)", command: command)
            case .greeting:
                throw QMPError(.protocol, "second QMP greeting on \(path)", command: command)
            }
        }
    }

    private func waitForEvent(named name: String?, timeout: Duration) throws(QMPError) -> QMPEvent {
        if let index = events.firstIndex(where: { name == nil || $0.name == name }) {
            return events.remove(at: index)
        }
        if let broken { throw broken }
        let deadline = Deadline(after: timeout)
        let what = name.map { "\($0) event" } ?? "event"
        while true {
            let message: QMPMessage?
            do {
                message = try readMessage(until: deadline, command: nil)
            } catch {
                guard error.code == .closed else { throw error }
                throw QMPError(.closed, "\(error.message), while waiting for a \(what)", errno: error.errno)
            }
            guard let message else {
                throw QMPError(.timeout, "no \(what) within \(timeout.shortText) on \(path)")
            }
            switch message {
            case .event(let event):
                guard admit(event) else { continue }
                onEvent?(event)
                if name == nil || event.name == name { return event }
                enqueue(event)
            case .success(let other?, _) where abandoned.remove(other) != nil:
                continue
            case .failure(let other?, _, _) where abandoned.remove(other) != nil:
                continue
            default:
                throw QMPError(.protocol, "unexpected message on \(path) while waiting for a \(what): \(message)")
            }
        }
    }

    /// Whether `event` is within the rate; the first one past it is warned of.
    private func admit(_ event: QMPEvent) -> Bool {
        if rateLimit.admit(event.name) { return true }
        if rateLimit.dropped == 1 {
            onWarning?(
                "qemu on \(path) sends \(event.name) events faster than \(Int(EventRateLimit.perSecond)) a second: "
                    + "dropping what is past that, counted")
        }
        return false
    }

    private func enqueue(_ event: QMPEvent) {
        if events.count >= Self.eventQueueLimit { events.removeFirst(events.count - Self.eventQueueLimit + 1) }
        events.append(event)
    }

    /// The next message, or nil at the deadline. EOF marks the connection closed for good.
    ///
    /// The clock is read before each message: a qemu that keeps sending (events without end, a
    /// line that never ends) finds the deadline where a silent one does.
    private func readMessage(until deadline: Deadline, command: String?) throws(QMPError) -> QMPMessage? {
        while true {
            if deadline.hasPassed { return nil }
            do {
                if let line = try lines.nextLine() { return try QMPMessage.parse(line) }
            } catch {
                var error = error
                error.command = command
                throw error
            }
            if let broken {
                var error = broken
                error.command = command
                throw error
            }
            switch try socket.read(until: deadline) {
            case .bytes(let chunk):
                lines.append(chunk)
            case .timedOut:
                return nil
            case .endOfFile:
                let partial = lines.isEmpty ? "" : " in the middle of a message"
                broken = QMPError(.closed, "qemu closed QMP socket \(path)\(partial) (it exited?)")
                socket.close()
            }
        }
    }
}

@available(*, unavailable, message: "QMPConnection is not thread-safe: keep it in one task or thread")
extension QMPConnection: Sendable {}

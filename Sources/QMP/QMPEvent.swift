import QEMU

/// An asynchronous message from qemu (`SHUTDOWN`, `STOP`, `BLOCK_JOB_COMPLETED`, ...).
public struct QMPEvent: Sendable, Equatable {
    /// The event's name, as qemu spells it (`SHUTDOWN`).
    public var name: String
    /// The event's `data` member; `.object([:])` when qemu sends none.
    public var data: JSONValue
    /// When qemu emitted it, in seconds since the Unix epoch (qemu's `timestamp`), if it said.
    public var timestamp: Double?

    /// Creates an event.
    public init(name: String, data: JSONValue = .object([:]), timestamp: Double? = nil) {
        self.name = name
        self.data = data
        self.timestamp = timestamp
    }
}

/// A point in time after which a wait gives up, so that a sequence of waits (connect, greeting,
/// capabilities, each command of an operation) shares one budget instead of each getting the
/// whole timeout.
public struct Deadline: Sendable {
    public let instant: ContinuousClock.Instant
    /// The budget it was made with, for messages ("no answer within 4 s").
    public let budget: Duration

    public init(after duration: Duration) {
        budget = max(duration, .zero)
        instant = ContinuousClock.now.advanced(by: budget)
    }

    public var hasPassed: Bool { ContinuousClock.now >= instant }

    /// What is left of it, zero once it has passed.
    public var remaining: Duration { max(instant - ContinuousClock.now, .zero) }

    /// The time left as poll(2) wants it: rounded up, so a wait never ends before the deadline
    /// and then finds nothing left to wait for; 0 once it has passed.
    var pollMilliseconds: Int32 {
        let left = instant - ContinuousClock.now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }
}

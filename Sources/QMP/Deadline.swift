/// A point in time after which a wait gives up, so that a sequence of waits (connect, greeting,
/// capabilities) shares one budget instead of each getting the whole timeout.
struct Deadline {
    let instant: ContinuousClock.Instant

    init(after duration: Duration) {
        instant = ContinuousClock.now.advanced(by: max(duration, .zero))
    }

    var hasPassed: Bool { ContinuousClock.now >= instant }

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

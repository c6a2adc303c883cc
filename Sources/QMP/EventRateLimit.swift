/// How many events a connection takes from qemu before it drops them: a guest drives many of
/// qemu's events and qemu throttles only a few, so a stream without end must cost a counter, not
/// memory or the time of the commands waiting behind it.
///
/// Each event name has its own token bucket, so that a flood of one event (a guest toggling a
/// tray, an I/O error on every request) never takes the SHUTDOWN or the MIGRATION that follows
/// it. Names beyond ``maximumNames`` share one bucket: a qemu that makes up names cannot grow the
/// table.
struct EventRateLimit {
    /// Events of one name taken at once before the rate applies.
    static let burst = 64.0
    /// Events of one name taken per second after the burst.
    static let perSecond = 32.0
    static let maximumNames = 64
    static let sharedBucket = ""

    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]
    /// Events dropped so far.
    private(set) var dropped = 0

    /// Whether `name` is taken now; a drop is counted.
    mutating func admit(_ name: String, now: ContinuousClock.Instant = .now) -> Bool {
        let key = buckets[name] != nil || buckets.count < Self.maximumNames ? name : Self.sharedBucket
        var bucket = buckets[key] ?? (Self.burst, now)
        let elapsed = now - bucket.at
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        bucket = (min(Self.burst, bucket.tokens + seconds * Self.perSecond), now)
        let admitted = bucket.tokens >= 1
        if admitted { bucket.tokens -= 1 } else { dropped += 1 }
        buckets[key] = bucket
        return admitted
    }
}

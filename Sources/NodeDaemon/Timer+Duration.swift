import Metrics

extension Metrics.Timer {
    /// Records the time from `start` until now (swift-metrics takes only `DispatchTime` there).
    func recordInterval(since start: ContinuousClock.Instant) {
        let took = ContinuousClock.now - start
        recordNanoseconds(took.components.seconds * 1_000_000_000 + took.components.attoseconds / 1_000_000_000)
    }
}

/// The writes made to a fake host and a fake switch together, in the order they were asked for:
/// a hook spec compares the whole sequence, Open vSwitch and `exec` included.
public final class FakeCallLog {
    public private(set) var entries: [String] = []

    public init() {}

    public func record(_ call: String) { entries.append(call) }

    /// Forgets what was recorded (a spec checks `down` after the `up` that set it up).
    public func clear() { entries = [] }
}

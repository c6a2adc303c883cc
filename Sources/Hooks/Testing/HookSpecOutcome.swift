/// How one spec case ended.
public enum HookSpecOutcome: Sendable, Equatable, Codable {
    case passed
    /// Each failure as lines: what was checked, then the expected and the actual.
    case failed([String])
    case skipped(String)
}

/// How one spec case ended.
public enum HookSpecOutcome: Sendable, Equatable, Codable {
    case passed
    /// Each failure as lines: what was checked, then the expected and the actual.
    case failed([String])
    case skipped(String)
    /// A built-in spec met by a site hook that wraps the built-in one: everything as expected
    /// but for `exec` calls the site added (the calls, as made).
    case kept(hook: String, extra: [String])
    /// A built-in spec a site hook does not meet, where the hook says it replaces the built-in
    /// on purpose (its table's `replaces`): reported once per hook, not as failures.
    case departed(hook: String, reason: String, failures: [String])
}

/// A spec case and how it ended; a spec file that could not be loaded is one failed result
/// named after the file.
public struct HookSpecResult: Sendable {
    public var name: String
    public var location: String
    public var outcome: HookSpecOutcome

    public init(name: String, location: String, outcome: HookSpecOutcome) {
        self.name = name
        self.location = location
        self.outcome = outcome
    }
}

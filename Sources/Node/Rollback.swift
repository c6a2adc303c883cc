/// What a failing operation must undo, in reverse order of doing it; each step says what it is,
/// so what could not be undone is reported by name.
struct Rollback {
    private var steps: [(String, () throws -> Void)] = []

    mutating func add(_ what: String, _ undo: @escaping () throws -> Void) { steps.append((what, undo)) }

    /// Runs every step, last first, and returns the ones that failed.
    func run() -> [String] {
        var failures: [String] = []
        for (what, undo) in steps.reversed() {
            do {
                try undo()
            } catch {
                failures.append("\(what): \(error)")
            }
        }
        return failures
    }
}

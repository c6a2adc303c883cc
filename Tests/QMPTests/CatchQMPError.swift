import QMP
import Testing

/// The QMPError `body` throws, or nil when it returns (any other error is recorded as an issue).
/// Closures are not inferred as `throws(QMPError)` in Swift 6.1, so this takes any error and
/// narrows it, which `#expect(throws:)` does not do in a way that gives the fields back.
func catchQMPError<T>(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) -> QMPError? {
    do {
        _ = try body()
        return nil
    } catch let error as QMPError {
        return error
    } catch {
        Issue.record("not a QMPError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

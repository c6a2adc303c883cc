/// A hook call whose worker did not answer: killed at the call's deadline, dead (a crash, its
/// memory limit), or unable to start. The call's changes are the caller's to undo.
public struct HookWorkerFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Still running at the deadline: killed, with what it started.
        case killed(after: Duration)
        /// It died while running the call: how (`signal 11 (SIGSEGV)`, `exit status 1`).
        case died(String)
        /// It could not be started, or answered what the node cannot read.
        case broken(String)
    }

    public var kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .killed(let after):
            "its worker process was killed: no answer within \(after) (a C function that does not return, or a hung command)"
        case .died(let how): "its worker process died (\(how))"
        case .broken(let why): "its worker process failed: \(why)"
        }
    }
}

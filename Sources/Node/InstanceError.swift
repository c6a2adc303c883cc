/// A failed instance operation: which instance, which step, why, and what qemu said when qemu
/// was the one that failed (`start web1: launching qemu: exit status 1` + its stderr).
public struct InstanceError: Error, Sendable, CustomStringConvertible {
    public var instance: String
    public var operation: String
    /// The step that failed (`opening taps`, `NIC 1 up hook`, `launching qemu`, ...).
    public var step: String
    public var message: String
    /// qemu's standard error, when qemu failed.
    public var qemuOutput: String?
    /// What could not be undone after the failure, one line each.
    public var undoFailures: [String] = []

    public init(_ instance: String, _ operation: String, step: String, _ message: String, qemuOutput: String? = nil) {
        self.instance = instance
        self.operation = operation
        self.step = step
        self.message = message
        self.qemuOutput = qemuOutput
    }

    public var description: String {
        var text = "\(operation) \(instance): \(step): \(message)"
        if let qemuOutput, !qemuOutput.isEmpty {
            text += "\nqemu said:\n" + qemuOutput.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        }
        if !undoFailures.isEmpty {
            text += "\nnot undone:\n" + undoFailures.map { "  " + $0 }.joined(separator: "\n")
        }
        return text
    }
}

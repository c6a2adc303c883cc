import Hooks
import HostNet
import QEMU
import QMP

/// A failed instance operation: which instance, which step, what kind of failure (``Code``, for
/// a caller that acts on it: the API's status, the CLI's exit), why, and the failure underneath
/// as a value (``Cause``: the hook's error with its `file:line`, qemu's QMP error class), not
/// only as text. `start web1: launching qemu: exit status 1` + qemu's stderr.
public struct InstanceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, stable for callers (the API sends it; tests match on it).
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// No instance of that name has state on this node.
        case notFound = "not-found"
        /// Another operation holds the instance (its lock), or its qemu runs where it must not.
        case busy
        /// The spec, or a name, is not valid.
        case invalidSpec = "invalid-spec"
        /// The node lacks what the instance needs (a qemu binary, a file, a user, a feature).
        case node
        /// A hook failed (its error has the file and line).
        case hook
        /// qemu failed: it exited, or refused or did not answer a QMP command.
        case qemu
        /// Something took longer than its bound.
        case timeout
        /// A state file does not read, or could not be written or removed.
        case state
        /// A migration failed in qemu (the target refused it, the link broke): the source runs on.
        case migration
        /// The operation was cancelled (`migrate-cancel`, Ctrl-C): the source runs on.
        case cancelled
        /// The instance is not in a state the operation takes (its qemu does not run, no
        /// migration runs to cancel, the guest has shut down): the request, not the node, is at
        /// fault, and nothing was changed.
        case conflict
    }

    /// The failure underneath, kept whole.
    public enum Cause: Sendable {
        case hook(HookError)
        case qmp(QMPError)
        case host(HostNetError)
        case node(NodeError)
    }

    public var code: Code
    public var instance: String
    public var operation: String
    /// The step that failed (`opening taps`, `NIC 1 up hook`, `launching qemu`, ...).
    public var step: String
    public var message: String
    public var cause: Cause?
    /// qemu's standard error, when qemu failed.
    public var qemuOutput: String?
    /// What could not be undone after the failure, one line each.
    public var undoFailures: [String] = []

    public init(
        _ code: Code, _ instance: String, _ operation: String, step: String, _ message: String, cause: Cause? = nil,
        qemuOutput: String? = nil
    ) {
        self.code = code
        self.instance = instance
        self.operation = operation
        self.step = step
        self.message = message
        self.cause = cause
        self.qemuOutput = qemuOutput
    }

    /// A failure whose cause says what it is: a hook's is `.hook`, a QMP timeout `.timeout`,
    /// qemu's refusal `.qemu`, a host refusal `.node`, anything else `fallback`.
    public init(_ instance: String, _ operation: String, step: String, caused error: any Error, else fallback: Code) {
        var code = fallback
        var cause: Cause?
        switch error {
        case let error as HookError:
            (code, cause) = (.hook, .hook(error))
        case let error as QMPError:
            (code, cause) = (error.code == .timeout ? .timeout : .qemu, .qmp(error))
        case let error as HostNetError:
            (code, cause) = (.node, .host(error))
        case let error as NodeError:
            (code, cause) = (.node, .node(error))
        default:
            break
        }
        self.init(code, instance, operation, step: step, "\(error)", cause: cause)
    }

    /// The hook's file and line, where a hook failed.
    public var hookLocation: (file: String, line: Int?)? {
        guard case .hook(let error) = cause, let file = error.hookFile else { return nil }
        return (file, error.line)
    }

    /// qemu's error class (`GenericError`, ...), where qemu refused a QMP command.
    public var qemuErrorClass: String? {
        guard case .qmp(let error) = cause else { return nil }
        return error.errorClass
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

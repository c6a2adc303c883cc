import QEMU
import SystemPackage

/// A QMP failure: which command (if any), and why. qemu's own refusals keep its error class and
/// description (`set_password: GenericError: Could not set password`).
public struct QMPError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The socket could not be reached.
        case connect
        /// No answer (or no greeting, or no event) before the deadline.
        case timeout
        /// qemu answered with something that is not QMP.
        case `protocol`
        /// qemu refused the command (`{"error": {...}}`).
        case command
        /// qemu closed the connection.
        case closed
    }

    public var code: Code
    /// The command being run, when there was one.
    public var command: String?
    /// qemu's error class (`GenericError`, `CommandNotFound`, ...), for `.command`.
    public var errorClass: String?
    /// What happened, with the socket path and the errno text where they matter.
    public var message: String
    /// The system call's errno, for failures of the socket itself (`.connect`, some `.closed`);
    /// already spelled out in ``message``.
    public var errno: Errno?

    public init(
        _ code: Code, _ message: String, command: String? = nil, errorClass: String? = nil, errno: Errno? = nil
    ) {
        self.code = code
        self.message = message
        self.command = command
        self.errorClass = errorClass
        self.errno = errno
    }

    public var description: String {
        var parts: [String] = []
        if let command { parts.append(command) }
        if let errorClass { parts.append(errorClass) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }
}

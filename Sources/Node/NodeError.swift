import SystemPackage

/// A failure of the node agent at the edge: a command that did not run, a file that could not
/// be read. The message names what was being done and to what.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// A command failed to start, exited non-zero or timed out.
        case command
        /// A file could not be read or written.
        case file
        /// The console could not be reached, or the terminal not set up for it.
        case console
    }

    public var code: Code
    public var message: String
    /// The system error underneath, when there is one.
    public var errno: Errno?

    /// Creates an error.
    public init(_ code: Code, _ message: String, errno: Errno? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String { message }
}

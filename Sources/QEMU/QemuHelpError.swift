/// Why the text of `qemu --help` could not be turned into a ``QemuFeatures``.
public struct QemuHelpError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, stable for callers and tests (the message is for people).
    public enum Code: String, Sendable {
        /// The first line of `--help` carries no `major.minor[.micro]` version.
        case noVersion
        /// The version is older than ``QemuVersion/minimumSupported``.
        case tooOld
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for the operator, naming what was found.
    public var message: String

    /// The message.
    public var description: String { message }

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

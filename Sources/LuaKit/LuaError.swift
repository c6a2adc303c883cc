import SystemPackage

/// The one error LuaKit reports: what went wrong, where in which chunk, and the Lua traceback.
///
/// `description` reads as Lua's own messages do, `file:line: message`, with the file being the
/// chunk's full path (Lua itself shortens names longer than 59 bytes; LuaKit does not).
public struct LuaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this was.
    public enum Code: String, Sendable, Hashable {
        /// The chunk does not parse (`LUA_ERRSYNTAX`).
        case syntax
        /// The code raised an error (`error()`, a bad operation, or a Swift function that threw).
        case runtime
        /// The call ran out of its time budget (wall clock or instruction count).
        case timeout
        /// The state ran out of its memory budget.
        case memory
        /// The message handler itself failed (`LUA_ERRERR`).
        case errorHandler
        /// A value could not cross between Lua and Swift (cyclic, too deep, unsupported type).
        case conversion
        /// A chunk's file could not be read.
        case file
        /// The chunk did not return a table holding the function that was asked for.
        case missingFunction
    }

    /// What kind of failure this was.
    public var code: Code
    /// What went wrong, without the `file:line:` prefix.
    public var message: String
    /// The chunk the error points at: a file path for chunks loaded from files.
    public var file: String?
    /// The line in `file`.
    public var line: Int?
    /// Lua's stack traceback, when the error was raised while Lua code ran.
    public var traceback: String?
    /// The system error underneath, for file errors.
    public var errno: Errno?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, file: String? = nil, line: Int? = nil, traceback: String? = nil,
        errno: Errno? = nil
    ) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.traceback = traceback
        self.errno = errno
    }

    /// `file:line: message`, or as much of it as is known.
    public var description: String {
        switch (file, line) {
        case (let file?, let line?): "\(file):\(line): \(message)"
        case (let file?, nil): "\(file): \(message)"
        default: message
        }
    }
}

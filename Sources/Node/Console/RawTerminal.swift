#if canImport(Glibc)
import Glibc
#endif

/// A terminal switched to raw mode for the length of a console attach, and put back as it was
/// however the attach ends: by the escape key, by the console closing, by an error, or by a
/// signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT), whose handler restores the terminal and then lets
/// the signal end the process as it would have. A signal the process ignores (SIGHUP under
/// nohup) stays ignored, and each signal's own disposition comes back after the attach.
final class RawTerminal {
    private let descriptor: Int32
    private var saved: termios

    /// What the signal handlers restore: one attach per process, so one slot.
    nonisolated(unsafe) private static var restoreDescriptor: Int32 = -1
    nonisolated(unsafe) private static var restoreState = termios()
    private static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    /// The dispositions the handlers replaced, put back by ``restore()``.
    nonisolated(unsafe) private static var replaced: [(signal: Int32, handler: __sighandler_t?)] = []

    private init(descriptor: Int32, saved: termios) {
        self.descriptor = descriptor
        self.saved = saved
    }

    /// Raw mode on `descriptor` (no echo, no line editing, no signal keys, 8-bit input and output
    /// untouched), or nil when it is not a terminal: piped input is passed on as it is.
    static func enter(_ descriptor: Int32) throws(NodeError) -> RawTerminal? {
        guard isatty(descriptor) == 1 else { return nil }
        var state = termios()
        guard tcgetattr(descriptor, &state) == 0 else {
            throw NodeError(.console, "cannot read the terminal's mode: \(String(cString: strerror(errno)))")
        }
        restoreState = state
        restoreDescriptor = descriptor
        replaced = []
        for signal in signals {
            let previous = Glibc.signal(signal, RawTerminal.restoreThenDie)
            if let previous, unsafeBitCast(previous, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                _ = Glibc.signal(signal, previous)
            } else {
                replaced.append((signal, previous))
            }
        }
        var raw = state
        cfmakeraw(&raw)
        // TCSADRAIN, not TCSAFLUSH: what was typed before the attach is kept, not thrown away.
        guard tcsetattr(descriptor, TCSADRAIN, &raw) == 0 else {
            let reason = String(cString: strerror(errno))
            RawTerminal(descriptor: descriptor, saved: state).restore()
            throw NodeError(.console, "cannot put the terminal in raw mode: \(reason)")
        }
        return RawTerminal(descriptor: descriptor, saved: state)
    }

    /// Puts the terminal back as it was, and the signals' dispositions.
    func restore() {
        while tcsetattr(descriptor, TCSADRAIN, &saved) != 0 && errno == EINTR {}
        RawTerminal.restoreDescriptor = -1
        for (signal, handler) in RawTerminal.replaced { _ = Glibc.signal(signal, handler) }
        RawTerminal.replaced = []
    }

    deinit { if RawTerminal.restoreDescriptor == descriptor { restore() } }

    /// Async-signal-safe: tcsetattr, signal and raise only.
    private static let restoreThenDie: @convention(c) (Int32) -> Void = { signal in
        if RawTerminal.restoreDescriptor >= 0 {
            _ = tcsetattr(RawTerminal.restoreDescriptor, TCSANOW, &RawTerminal.restoreState)
        }
        _ = Glibc.signal(signal, SIG_DFL)
        _ = raise(signal)
    }
}

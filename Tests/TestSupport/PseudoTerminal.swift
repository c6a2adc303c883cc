import CLinux
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal for tests of programs that talk to a terminal (`taphouse instance
/// console`): the program gets the terminal side as its standard input, output and error; the
/// test reads what it prints and types into it from the other side.
public final class PseudoTerminal {
    /// The test's side.
    public let controller: Int32
    /// The program's side: a terminal, as far as the program can tell.
    public let terminal: Int32
    /// Everything read from the program so far.
    public private(set) var transcript: [UInt8] = []

    public init() throws {
        var name = [CChar](repeating: 0, count: 64)
        controller = clinux_open_pty(&name, name.count)
        guard controller >= 0 else {
            throw PseudoTerminalError("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        terminal = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard terminal >= 0 else {
            close(controller)
            throw PseudoTerminalError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(controller)
        close(terminal)
    }

    /// The terminal's modes as the program would see them: what raw mode changes.
    public var modes: [UInt32] {
        var state = termios()
        tcgetattr(terminal, &state)
        return [state.c_iflag, state.c_oflag, state.c_cflag, state.c_lflag]
    }

    /// Starts `argv` on the terminal, with a clean signal mask (the test runner's threads block
    /// some signals, which a child would otherwise inherit blocked).
    public func spawn(_ argv: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for target in Int32(0)...2 { posix_spawn_file_actions_adddup2(&actions, terminal, target) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        var cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) } }
        let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { cEnv.forEach { free($0) } }
        let status = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgv, &cEnv)
        guard status == 0 else {
            throw PseudoTerminalError("cannot start \(argv[0]): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Reads until the transcript (from `start`) contains `text`; false when `seconds` passed first.
    public func read(until text: String, from start: Int = 0, within seconds: Double) -> Bool {
        offset(after: text, from: start, within: seconds) != nil
    }

    /// Reads until the transcript (from `start`) contains `text`, and returns where that text
    /// ends in it: what came in the same read after it is not lost to a search from there.
    public func offset(after text: String, from start: Int = 0, within seconds: Double) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        let wanted = Array(text.utf8)
        while true {
            if let found = find(wanted, from: start) { return found }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            pump(milliseconds: Int32(left * 1000) + 1)
        }
    }

    /// Adds to the transcript what the program printed, waiting up to `milliseconds` for it.
    private func pump(milliseconds: Int32) {
        var entry = pollfd(fd: controller, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, milliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(controller, &buffer, buffer.count)
        if count > 0 { transcript += buffer[..<count] }
    }

    /// The transcript as text (bytes that are not UTF-8 replaced).
    public var text: String { String(decoding: transcript, as: UTF8.self) }

    /// Types `bytes` into the terminal.
    public func type(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(controller, $0.baseAddress, $0.count) }
            if count > 0 { offset += count } else if errno != EINTR { return }
        }
    }

    /// Waits for `pid` to exit, up to `seconds`; its exit status, or nil (it is then killed).
    public func wait(_ pid: pid_t, within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            // The program's output keeps coming until it exits: keep the terminal drained.
            pump(milliseconds: 50)
            if waitpid(pid, &status, WNOHANG) == pid {
                return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            }
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }

    /// The index just past the first `wanted` at or after `start`, if any.
    private func find(_ wanted: [UInt8], from start: Int) -> Int? {
        guard !wanted.isEmpty else { return start }
        var index = start
        while index + wanted.count <= transcript.count {
            if transcript[index..<index + wanted.count].elementsEqual(wanted) { return index + wanted.count }
            index += 1
        }
        return nil
    }
}

/// A pseudo-terminal that could not be set up or used.
public struct PseudoTerminalError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

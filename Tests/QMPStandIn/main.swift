// A stand-in for an instance's qemu, for tests of what taphouse does when qemu misbehaves: it
// takes the instance's pid file as qemu does (written, and locked for its whole life) and serves
// the instance's QMP socket the way a broken or hostile qemu might.
//
//   qmp-standin PIDFILE SOCKET BEHAVIOUR [--events-socket PATH] [--pid-text TEXT] [--ignore-sigterm]
//
// With --events-socket it serves that socket too, the same way (the events session the daemon
// holds on each instance), one client at a time beside the first socket's.
//
// Behaviours, each after the greeting and capabilities unless said:
//   polite        answers query-status, query-memory-size-summary, query-cpus-fast; on
//                 system_powerdown it says POWERDOWN and SHUTDOWN and exits, as a guest would
//   silent        answers nothing more
//   endless-line  answers a command with a line that never ends, a little at a time
//   garbage       answers a command with bytes that are not JSON
//   deep          answers a command with JSON nested a million deep
//   huge          answers a command with a 200 MB line
//   flood         sends events without end from the start, and never answers
//   wrong-id      answers every command with an id no one asked
//   not-qmp       greets with something that is not QMP
//   hang-up       hangs up at the first command
//
// argv names the pid file after `-pidfile`, as qemu's does: taphouse recognises its qemu so.
import Foundation

#if canImport(Glibc)
import Glibc
#endif

var arguments = Array(CommandLine.arguments.dropFirst())
var pidText = String(getpid())
var ignoreTerm = false
var eventsSocket: String?
if let index = arguments.firstIndex(of: "--events-socket"), index + 1 < arguments.count {
    eventsSocket = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
if let index = arguments.firstIndex(of: "--pid-text"), index + 1 < arguments.count {
    pidText = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
if let index = arguments.firstIndex(of: "--ignore-sigterm") {
    ignoreTerm = true
    arguments.remove(at: index)
}
// `-pidfile PATH` in argv, as qemu's.
if let index = arguments.firstIndex(of: "-pidfile") { arguments.remove(at: index) }
guard arguments.count == 3 else {
    FileHandle.standardError.write(
        Data("usage: qmp-standin -pidfile PIDFILE SOCKET BEHAVIOUR [--pid-text TEXT] [--ignore-sigterm]\n".utf8))
    exit(2)
}
let (pidFile, socketPath, behaviour) = (arguments[0], arguments[1], arguments[2])
signal(SIGPIPE, SIG_IGN)
if ignoreTerm { signal(SIGTERM, SIG_IGN) }

@Sendable func fail(_ what: String) -> Never {
    FileHandle.standardError.write(Data("qmp-standin: \(what): errno \(errno)\n".utf8))
    exit(1)
}

// The pid file, as qemu_write_pidfile: opened, locked (lockf), then written; the fd stays open.
let pidFD = open(pidFile, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
guard pidFD >= 0, lockf(pidFD, F_TLOCK, 0) == 0, ftruncate(pidFD, 0) == 0 else { fail("pid file \(pidFile)") }
_ = pidText.withCString { write(pidFD, $0, strlen($0)) }

/// A listening socket at `path` (any file there replaced).
func listening(_ path: String) -> Int32 {
    unlink(path)
    let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8)
        raw.copyBytes(from: bytes.prefix(raw.count - 1))
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0, listen(listener, 8) == 0 else { fail("socket \(path)") }
    return listener
}

/// Sends all of `bytes`; false once the client is gone.
@discardableResult
@Sendable func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

@discardableResult
@Sendable func send(_ fd: Int32, line: String) -> Bool { send(fd, Array((line + "\r\n").utf8)) }

/// The client's lines, one at a time; nil at EOF.
final class Lines {
    let fd: Int32
    var buffer: [UInt8] = []
    init(_ fd: Int32) { self.fd = fd }

    func next() -> [String: Any]? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] { return object }
                continue
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }
}

let greeting =
    #"{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}"#
@Sendable func event(_ name: String, _ data: String = "{}") -> String {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return
        #"{"timestamp": {"seconds": \#(now.tv_sec), "microseconds": \#(now.tv_nsec / 1000)}, "event": "\#(name)", "data": \#(data)}"#
}

@Sendable func serve(_ fd: Int32) {
    if behaviour == "not-qmp" {
        send(fd, line: #"{"hello": "I am not qemu"}"#)
    } else {
        send(fd, line: greeting)
    }
    let lines = Lines(fd)
    guard let first = lines.next() else { return }
    send(fd, line: #"{"return": {}, "id": \#(quoted(first["id"]))}"#)
    if behaviour == "flood" {
        // Events without end; the commands that come meanwhile stay unread and unanswered.
        var n = 0
        while send(fd, line: event("RTC_CHANGE", #"{"offset": \#(n), "qom-path": "/machine/unattached/device[8]"}"#)) {
            n += 1
        }
        return
    }
    while let request = lines.next() {
        let id = quoted(request["id"])
        let command = request["execute"] as? String ?? ""
        switch behaviour {
        case "polite":
            switch command {
            case "query-status":
                send(fd, line: #"{"return": {"status": "running", "running": true}, "id": \#(id)}"#)
            case "query-memory-size-summary":
                send(fd, line: #"{"return": {"base-memory": 536870912}, "id": \#(id)}"#)
            case "query-cpus-fast":
                send(fd, line: #"{"return": [{"cpu-index": 0}, {"cpu-index": 1}], "id": \#(id)}"#)
            case "system_powerdown":
                send(fd, line: #"{"return": {}, "id": \#(id)}"#)
                send(fd, line: event("POWERDOWN"))
                send(fd, line: event("SHUTDOWN", #"{"guest": true, "reason": "guest-shutdown"}"#))
                exit(0)
            default:
                send(
                    fd,
                    line:
                        #"{"error": {"class": "CommandNotFound", "desc": "The command \#(command) has not been found"}, "id": \#(id)}"#
                )
            }
        case "silent":
            continue
        case "endless-line":
            send(fd, Array(#"{"return": ""#.utf8))
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
            while send(fd, chunk) { usleep(10_000) }
            return
        case "garbage":
            send(fd, line: "\u{1}\u{2}this is not JSON\u{ff}")
        case "deep":
            send(fd, line: String(repeating: "[", count: 1_000_000))
        case "huge":
            send(fd, Array(#"{"return": ""#.utf8))
            let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 1 << 20)
            for _ in 0..<200 where send(fd, chunk) {}
            send(fd, line: #""}"#)
        case "wrong-id":
            send(fd, line: #"{"return": {}, "id": "not-yours"}"#)
        case "hang-up":
            return
        default:
            send(
                fd,
                line: #"{"error": {"class": "GenericError", "desc": "unknown behaviour \#(behaviour)"}, "id": \#(id)}"#)
        }
    }
}

@Sendable func quoted(_ id: Any?) -> String {
    guard let id = id as? String else { return "null" }
    return "\"\(id)\""
}

/// One client at a time, as qemu: each is served to its end, then the next is greeted.
@Sendable func accepting(_ listener: Int32) -> Never {
    while true {
        let client = accept(listener, nil, nil)
        if client < 0 { continue }
        serve(client)
        close(client)
    }
}

let listener = listening(socketPath)
if let eventsSocket {
    let events = listening(eventsSocket)
    Thread { accepting(events) }.start()
}
accepting(listener)

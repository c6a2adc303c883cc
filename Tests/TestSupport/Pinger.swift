import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Pings an address from a namespace all the time, one ICMP echo every `interval` on a fixed
/// schedule, and records which were answered and when: a migration test's witness that the
/// guest kept (or lost) its network, and the benchmark's count of pings lost. A raw ICMP socket
/// opened inside the namespace (it stays the namespace's); a thread sends, one receives.
public final class Pinger: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    private let fd: Int32
    private let target: sockaddr_in
    private let interval: Duration
    private let identifier = UInt16.random(in: 1...UInt16.max)
    private let lock = NSLock()
    private var sent: [UInt16: Double] = [:]
    private var answered: [UInt16: Double] = [:]
    private var stopping = false
    private var threads: [Thread] = []

    /// Starts pinging `address` (IPv4) from `namespace`.
    public init(from namespace: NetworkNamespace, to address: String, interval: Duration = .milliseconds(10)) throws {
        fd = try namespace.run {
            let fd = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP))
            guard fd >= 0 else { throw Failure(description: "raw ICMP socket: \(String(cString: strerror(errno)))") }
            return fd
        }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else {
            close(fd)
            throw Failure(description: "\(address) is not an IPv4 address")
        }
        self.target = target
        self.interval = interval
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        threads = [Thread { [self] in sendLoop() }, Thread { [self] in receiveLoop() }]
        for thread in threads { thread.start() }
    }

    deinit { stop() }

    /// Stops pinging (once) and waits for the threads to let go of the socket.
    public func stop() {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
        close(fd)
    }

    /// The pings sent from `start` to `end` whose answer never came (asked once `end` is a
    /// second past, so that late answers are in).
    public func lost(from start: Double, to end: Double) -> Int {
        lock.withLock { sent.filter { $0.value >= start && $0.value <= end && answered[$0.key] == nil }.count }
    }

    /// The longest time between two answers received from `start` to `end`, in seconds.
    public func longestGap(from start: Double, to end: Double) -> Double {
        lock.withLock {
            let times = answered.values.filter { $0 >= start && $0 <= end }.sorted()
            return zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? 0
        }
    }

    /// Whether an echo sent after `start` was answered.
    public func answered(since start: Double) -> Bool {
        lock.withLock { answered.contains { sent[$0.key].map { $0 >= start } ?? false } }
    }

    /// Wall-clock seconds, the pinger's time base.
    public static func now() -> Double { Date().timeIntervalSince1970 }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func sendLoop() {
        var sequence: UInt16 = 0
        let clock = ContinuousClock()
        var next = clock.now
        while !isStopping {
            sequence &+= 1
            var packet: [UInt8] = [8, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xff)]
            packet += [UInt8(sequence >> 8), UInt8(sequence & 0xff)] + Array(repeating: 0x61, count: 32)
            let sum = Self.checksum(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xff)
            let time = Self.now()
            lock.withLock { sent[sequence] = time }
            var address = target
            _ = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            next = next.advanced(by: interval)
            let wait = next - clock.now
            if wait > .zero { try? sleepSynchronously(wait) }
        }
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 1500)
        while !isStopping {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count >= 28 else { continue }
            let header = Int(buffer[0] & 0x0f) * 4
            guard count >= header + 8, buffer[header] == 0 else { continue }
            let id = UInt16(buffer[header + 4]) << 8 | UInt16(buffer[header + 5])
            let sequence = UInt16(buffer[header + 6]) << 8 | UInt16(buffer[header + 7])
            guard id == identifier else { continue }
            let time = Self.now()
            lock.withLock { if answered[sequence] == nil { answered[sequence] = time } }
        }
    }

    private func sleepSynchronously(_ duration: Duration) throws {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&request, nil)
    }

    private static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for index in stride(from: 0, to: bytes.count, by: 2) {
            sum += UInt32(bytes[index]) << 8 | UInt32(index + 1 < bytes.count ? bytes[index + 1] : 0)
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

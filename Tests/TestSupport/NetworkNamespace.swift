import Foundation
import HostNet

#if canImport(Glibc)
import Glibc
#endif

/// A network namespace a test makes for itself, so kernel tests never touch the host's own
/// interfaces: created with `ip netns add th-test-<random>` (argv, no shell), deleted with
/// `ip netns delete` by ``close()`` or when released. Nothing is killed on deletion: a test closes
/// its own fds (taps, sockets) first; a namespace still pinned by an open fd lives on, nameless,
/// until that fd closes.
///
/// Work happens inside with ``run(_:)``, on a thread that has joined the namespace. What that
/// thread opens belongs to the namespace: netlink sockets, taps, and `/proc/sys/net`, which
/// shows the namespace of the thread that opens it. `/sys/class/net` does not: sysfs shows the
/// namespace of whoever mounted it, whatever thread reads it.
public final class NetworkNamespace: @unchecked Sendable {
    /// A failed `ip` command or system call, with what was asked and what came back.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `th-test-` and eight random hex digits.
    public let name: String
    private let lock = NSLock()
    private var deleted = false

    /// Where `ip netns add` binds the namespace.
    public var path: String { "/var/run/netns/" + name }

    /// The `ip` used to make and delete namespaces (and that tests may use for set-up).
    public static let ipPath = "/usr/sbin/ip"

    /// Why namespaces cannot be used here (not root, no `ip`, or making one fails), or nil.
    public static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "needs root to create network namespaces" }
        guard FileManager.default.isExecutableFile(atPath: ipPath) else { return "needs \(ipPath) (iproute2)" }
        do {
            let probe = try NetworkNamespace()
            defer { probe.close() }
            try probe.run {}
            return nil
        } catch {
            return "cannot create and enter a network namespace: \(error)"
        }
    }()

    /// Whether kernel tests can run here; use with `.enabled(if:)` and ``unavailableReason``.
    public static var isAvailable: Bool { unavailableReason == nil }

    /// Creates the namespace (`ip netns add`).
    public init() throws {
        name = "th-test-" + String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        try Self.ip(["netns", "add", name])
    }

    deinit { close() }

    /// Deletes the namespace (`ip netns delete`); safe to call more than once.
    public func close() {
        let first = lock.withLock {
            defer { deleted = true }
            return !deleted
        }
        if first { _ = try? Self.ip(["netns", "delete", name]) }
    }

    /// Runs `ip -n NAME ARGS...` (test set-up: a bridge, a veth pair), returning its output.
    @discardableResult
    public func ip(_ arguments: [String]) throws -> String {
        try Self.ip(["-n", name] + arguments)
    }

    /// Runs `body` on a thread of its own that has joined the namespace, and returns its result
    /// (HostNet's ``NamespaceThread``): sockets, taps and `/proc/sys/net` opened inside belong to
    /// the namespace, and `#expect` inside counts against the calling test.
    public func run<T>(_ body: () throws -> T) throws -> T {
        try NamespaceThread.run(in: path, body)
    }

    @discardableResult
    private static func ip(_ arguments: [String]) throws -> String {
        // BlockingCommand (posix_spawn), not Foundation's Process, whose run() now and then
        // crashes reading /proc/self/fd (swift-corelibs-foundation #5472).
        let command = "ip \(arguments.joined(separator: " "))"
        let result: CommandRunner.Output
        do {
            result = try BlockingCommand.run([ipPath] + arguments, timeout: .seconds(120))
        } catch {
            throw Failure(description: "\(command): \(error)")
        }
        guard result.status == 0 else {
            throw Failure(
                description: "\(command): exit \(result.status): "
                    + result.standardError.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.standardOutput
    }
}

import Foundation
import HostNet

/// A network namespace a test makes for itself (`ip netns add`, argv) and deletes when released,
/// so kernel tests never touch the host's interfaces. Work inside it with ``run(_:)``.
public final class TestNamespace: @unchecked Sendable {
    public let name: String
    public var path: String { "/var/run/netns/\(name)" }

    /// Whether namespaces can be made here (root, iproute2); the reason when not.
    public static let unavailableReason: String? = {
        guard getuid() == 0 else { return "needs root to create network namespaces" }
        guard
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
                || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
        else { return "needs iproute2 (ip)" }
        do {
            _ = try TestNamespace()
            return nil
        } catch {
            return "cannot create a network namespace: \(error)"
        }
    }()

    public static var isAvailable: Bool { unavailableReason == nil }

    public init() throws {
        name = "th-test-" + String(UUID().uuidString.prefix(8)).lowercased()
        try Self.ip(["netns", "add", name])
    }

    deinit { try? Self.ip(["netns", "del", name]) }

    /// Runs `body` on a thread inside the namespace.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        try NamespaceThread.run(in: path, body)
    }

    /// Runs `ip ARGS...` inside the namespace (test set-up only; the code under test never forks).
    public func ip(_ arguments: [String]) throws {
        try Self.ip(["-n", name] + arguments)
    }

    static func ip(_ arguments: [String]) throws {
        let output = try BlockingCommand.run(["/usr/sbin/ip"] + arguments, timeout: .seconds(20))
        guard output.status == 0 else {
            throw HostNetError(.command, "ip " + arguments.joined(separator: " "), detail: output.standardError)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Open vSwitch through `ovs-vsctl`: one argv per operation, with a timeout both for the
/// command and for ovsdb (`--timeout`), never a shell string.
public final class OVSCtl: OpenVSwitch {
    public let program: String
    /// `--db=` for an ovsdb-server other than the system's (tests start their own).
    public let database: String?
    public let timeout: Duration
    /// Whether to wait for ovs-vswitchd to apply each change (`--no-wait` otherwise: for an
    /// ovsdb-server without a switch daemon, as in tests).
    public let waitForSwitch: Bool

    public init(
        program: String = "/usr/bin/ovs-vsctl", database: String? = nil, timeout: Duration = .seconds(10),
        waitForSwitch: Bool = true
    ) {
        self.program = program
        self.database = database
        self.timeout = timeout
        self.waitForSwitch = waitForSwitch
    }

    /// Whether `ovs-vsctl` is installed.
    public var isInstalled: Bool { access(program, X_OK) == 0 }

    private func run(_ arguments: [String], _ operation: String) throws(HostNetError) -> String {
        let seconds = max(1, Int(timeout.components.seconds))
        var argv = [program, "--timeout=\(seconds)"]
        if let database { argv.append("--db=\(database)") }
        if !waitForSwitch { argv.append("--no-wait") }
        argv += arguments
        let output = try BlockingCommand.run(argv, timeout: timeout + .seconds(1))
        guard output.status == 0 else {
            let message =
                output.standardError.split(separator: "\n").first.map(String.init) ?? "exit status \(output.status)"
            let code: HostNetError.Code = message.contains("no port named") ? .notFound : .command
            throw HostNetError(code, operation, detail: message.replacingPrefix("ovs-vsctl: "))
        }
        return output.standardOutput
    }

    public func port(_ name: String) throws(HostNetError) -> OVSPort? {
        let bridge: String
        do {
            bridge = try run(["port-to-br", name], "find ovs port \(name)").trimmingTrailingNewlines()
        } catch let error where error.code == .notFound {
            return nil
        }
        let fields = try run(["get", "Port", name, "tag", "trunks"], "read ovs port \(name)").split(separator: "\n")
        let tag = fields.first.flatMap { Int($0.trimmingCharacters()) }
        let trunks = fields.count > 1 ? OVSCtl.integers(fields[1]) : []
        return OVSPort(name: name, bridge: bridge, tag: tag, trunks: trunks)
    }

    public func addPort(bridge: String, port: String) throws(HostNetError) {
        _ = try run(["add-port", bridge, port], HostCall.ovsAddPort(bridge: bridge, port: port).description)
    }

    public func deletePort(_ name: String) throws(HostNetError) {
        _ = try run(["del-port", name], HostCall.ovsDelPort(name).description)
    }

    public func setPort(_ name: String, tag: Int?, trunks: [Int]) throws(HostNetError) {
        var arguments = ["set", "Port", name, "trunks=[\(trunks.map(String.init).joined(separator: ","))]"]
        arguments.append(tag.map { "tag=\($0)" } ?? "tag=[]")
        _ = try run(arguments, HostCall.ovsSetPort(name, tag: tag, trunks: trunks).description)
    }

    /// `[100, 200]` or `[]` as ovs-vsctl prints a set of integers.
    static func integers(_ text: Substring) -> [Int] {
        text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
    fileprivate func trimmingTrailingNewlines() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(filter { !$0.isWhitespace }) }
}

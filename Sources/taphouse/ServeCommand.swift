import ArgumentParser
import Foundation
import Logging
import Metrics
import NodeDaemon
import Prometheus
import QEMU

/// `taphouse serve [--listen unix:PATH] [--log-format text|json]`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the node daemon: the HTTP/JSON API on a Unix socket, one supervisor per instance.",
        discussion: """
            Listens on <state-dir>/api.sock (mode 0600) unless --listen says otherwise. At start it \
            adopts the running instances and cleans up after dead ones. SIGTERM stops it and leaves \
            every guest running.
            """)

    @Option(help: "Where to listen: unix:PATH (default: unix:<state-dir>/api.sock).") var listen: String?
    @Option(help: "Log lines as text or json.") var logFormat: LogFormat = .text
    @OptionGroup var node: NodeOptions

    enum LogFormat: String, ExpressibleByArgument { case text, json }

    func run() async throws {
        try await reporting {
            let state = StateDirectory(node.stateDirectory.resolved)
            let socket: String
            switch listen {
            case nil: socket = state.apiSocket
            case let value? where value.hasPrefix("unix:"): socket = String(value.dropFirst("unix:".count))
            case let value?:
                throw CommandFailure(
                    "--listen \(value): only unix:PATH; TCP needs TLS and a bearer token, which this version does not serve"
                )
            }
            try FileManager.default.createDirectory(atPath: state.path, withIntermediateDirectories: true)
            // Before the socket: the server removes a socket file it finds, so a second daemon
            // would take the first one's socket from under it.
            let lock = open(state.serveLock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard lock >= 0, flock(lock, LOCK_EX | LOCK_NB) == 0 else {
                throw CommandFailure("another taphouse serve holds \(state.serveLock)")
            }
            defer { close(lock) }
            // The lock file names the socket: the CLI's verbs find the daemon through it.
            _ = ftruncate(lock, 0)
            _ = (socket + "\n").withCString { write(lock, $0, strlen($0)) }
            let format = logFormat
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler =
                    format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
                handler.logLevel = .info
                return handler
            }
            let prometheus = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
            let stateDirectory = state.path
            // Hooks run from a live copy of the site folder, to which an edited hook goes only
            // once it passed its check.
            let directories = node.hooks.directories
            let site = directories.site ?? "/etc/taphouse/hooks"
            let live = state.path + "/site-live"
            let daemon = NodeDaemon(
                manager: try node.manager(logger: Logger(label: "taphouse"), site: live),
                configuration: .init(
                    socket: socket, version: TaphouseVersion.string,
                    hookDirectories: [site, directories.builtin],
                    qemuBinaries: node.qemuBinaryList.sorted(), site: site, liveSite: live,
                    builtin: directories.builtin,
                    consoleCommand: { [executable, stateDirectory] name in
                        [executable, "instance", "console", name, "--state-dir", stateDirectory]
                    }),
                prometheus: prometheus, logger: Logger(label: "taphouse"))
            try await daemon.run()
        }
    }
}

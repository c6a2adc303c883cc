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
            Listens on <state-dir>/api.sock (mode 0600) unless --listen says otherwise, and on TCP \
            with TLS and a bearer token where --listen ADDRESS:PORT asks. At start it \
            adopts the running instances and cleans up after dead ones. SIGTERM stops it and leaves \
            every guest running.
            """)

    @Option(
        help: ArgumentHelp(
            "Where to listen: unix:PATH (default: unix:<state-dir>/api.sock), and ADDRESS:PORT for TCP besides.",
            discussion: "TCP needs --tls-cert, --tls-key and --token-file; the Unix socket is always served."))
    var listen: [String] = []
    @Option(help: "The TCP listener's certificate chain (PEM).") var tlsCert: String?
    @Option(help: "The TCP listener's private key (PEM).") var tlsKey: String?
    @Option(help: "A file (mode 0600) holding the bearer token every TCP request must carry.") var tokenFile: String?
    @Option(help: "Log lines as text or json.") var logFormat: LogFormat = .text
    @OptionGroup var node: NodeOptions

    enum LogFormat: String, ExpressibleByArgument { case text, json }

    func run() async throws {
        try await reporting {
            let state = StateDirectory(node.stateDirectory.resolved)
            var socket = state.apiSocket
            var tcp: TCPListener?
            for value in listen {
                if value.hasPrefix("unix:") {
                    socket = String(value.dropFirst("unix:".count))
                    continue
                }
                guard tcp == nil else { throw CommandFailure("--listen \(value): one TCP listener at most") }
                guard let tlsCert, let tlsKey, let tokenFile else {
                    throw CommandFailure(
                        "--listen \(value): TCP needs TLS and a bearer token: give --tls-cert, --tls-key and --token-file"
                    )
                }
                do {
                    tcp = try TCPListener(address: value, certificate: tlsCert, key: tlsKey, tokenFile: tokenFile)
                } catch {
                    throw CommandFailure("\(error)")
                }
            }
            if tcp == nil, tlsCert != nil || tlsKey != nil || tokenFile != nil {
                throw CommandFailure("--tls-cert, --tls-key and --token-file are for a TCP --listen ADDRESS:PORT")
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
            // Every line of a request carries its id and instance (task locals, read by the
            // metadata provider).
            LoggingSystem.bootstrap(
                { label, provider in
                    var handler: any LogHandler =
                        format == .json
                        ? JSONLogHandler(label: label, metadataProvider: provider)
                        : StreamLogHandler.standardError(label: label, metadataProvider: provider)
                    handler.logLevel = .info
                    return handler
                }, metadataProvider: RequestTrail.metadataProvider)
            let prometheus = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: prometheus))
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
            let stateDirectory = state.path
            // Hooks run from a live copy of the site folder, to which an edited hook goes only
            // once it passed its check.
            let directories = node.hooks.directories
            let site = directories.site ?? "/etc/taphouse/hooks"
            let live = state.path + "/site-live"
            var configuration = NodeDaemon.Configuration(
                socket: socket, version: TaphouseVersion.string, hookDirectories: [site, directories.builtin],
                qemuBinaries: node.qemuBinaryList.sorted(), site: site, liveSite: live, builtin: directories.builtin,
                consoleCommand: { [executable, stateDirectory] name in
                    [executable, "instance", "console", name, "--state-dir", stateDirectory]
                })
            configuration.tcp = tcp
            let daemon = NodeDaemon(
                manager: try node.manager(logger: Logger(label: "taphouse"), site: live),
                configuration: configuration,
                prometheus: prometheus, logger: Logger(label: "taphouse"))
            try await daemon.run()
        }
    }
}

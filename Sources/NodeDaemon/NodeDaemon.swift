import Foundation
import Hummingbird
import Logging
import Metrics
import Node
import Prometheus
import ServiceLifecycle

/// `taphouse serve`: the node daemon. It takes the state directory's serve lock (a second daemon
/// on the same directory is refused before it could take the socket), recovers what the state
/// directory holds (adopting live qemus, cleaning up after dead ones), then serves the API on a
/// Unix socket under a service group. SIGTERM stops accepting, lets running requests end
/// (bounded), lets go of every QMP session and exits, leaving every guest running.
public struct NodeDaemon: Sendable {
    public struct Configuration: Sendable {
        /// The Unix socket to listen on (mode 0600).
        public var socket: String
        public var version: String
        public var hookDirectories: [String]
        public var qemuBinaries: [String]
        /// The folder admins edit, the live copy hooks run from (the manager's site folder),
        /// and the built-in hooks.
        public var site: String
        public var liveSite: String
        public var builtin: String
        /// The argv that attaches to an instance's serial console on this node.
        public var consoleCommand: @Sendable (String) -> [String]
        /// The API over TCP besides the socket (TLS and a bearer token), when one is given.
        public var tcp: TCPListener?
        /// How long a SIGTERM waits for requests in flight.
        public var shutdownGrace: Duration = .seconds(30)

        public init(
            socket: String, version: String, hookDirectories: [String], qemuBinaries: [String], site: String,
            liveSite: String, builtin: String, consoleCommand: @escaping @Sendable (String) -> [String]
        ) {
            self.site = site
            self.liveSite = liveSite
            self.builtin = builtin
            self.socket = socket
            self.version = version
            self.hookDirectories = hookDirectories
            self.qemuBinaries = qemuBinaries
            self.consoleCommand = consoleCommand
        }
    }

    let configuration: Configuration
    let registry: InstanceRegistry
    let events: EventHub
    let logger: Logger
    let prometheus: PrometheusCollectorRegistry
    let hooks: HookMirror

    /// Takes the serve lock (the caller keeps it for the daemon's life) and makes the daemon.
    public init(
        manager: InstanceManager, configuration: Configuration, prometheus: PrometheusCollectorRegistry,
        logger: Logger
    ) {
        self.configuration = configuration
        self.logger = logger
        self.prometheus = prometheus
        let events = EventHub()
        self.events = events
        let shared = InstanceRegistry.Shared(manager: manager)
        registry = InstanceRegistry(
            manager: shared, executor: BlockingExecutor(threads: 8), events: events, logger: logger)
        hooks = HookMirror(
            site: configuration.site, live: configuration.liveSite, builtin: configuration.builtin,
            check: { shared.manager.checkHook($0, console: $1) },
            onEvent: { [logger] event in
                logger.info("hooks", metadata: ["event": "\(event.kind)", "what": "\(event.message ?? "")"])
                events.publish(event)
            })
        // Each NIC hook call: an event (on the thread that ran it, so before the state change of
        // its operation) and its metrics.
        manager.onHookRun = { [events] run in
            let dimensions = [("mode", run.mode), ("action", run.action)]
            Metrics.Timer(label: "taphouse_hook_duration_seconds", dimensions: dimensions)
                .recordNanoseconds(Int64(run.seconds * 1e9))
            if run.error != nil { Counter(label: "taphouse_hook_failures_total", dimensions: dimensions).increment() }
            events.publish(DaemonEvent(kind: "hook", instance: run.instance, hook: run))
        }
        // A post_* (or nic_*) call of instance.lua that failed while its operation stood.
        manager.onLifecycleFailure = { [events] call, error in
            Counter(
                label: "taphouse_hook_failures_total",
                dimensions: [("mode", "instance"), ("action", call.event.rawValue)]
            )
            .increment()
            events.publish(
                DaemonEvent(
                    kind: "lifecycle-failed", instance: call.instance,
                    message: "instance.lua \(call.event.rawValue) failed: \(error)"))
        }
    }

    /// Recovers, serves, and returns after a graceful shutdown.
    public func run() async throws {
        try FileManager.default.createDirectory(atPath: configuration.site, withIntermediateDirectories: true)
        try hooks.start()
        defer { hooks.stop() }
        await registry.recover()
        let routes = DaemonRoutes(
            registry: registry, operations: OperationStore(), events: events, hooks: hooks,
            node: .init(
                version: configuration.version, stateDirectory: await registry.state.path,
                hooks: configuration.hookDirectories, qemuBinaries: configuration.qemuBinaries),
            consoleCommand: configuration.consoleCommand, metrics: { [prometheus] in prometheus.emitToString() })
        // One router a listener, the same routes: the TCP one checks the token first.
        func router(token: String?) -> Router<BasicRequestContext> {
            let router = Router()
            if let token { router.add(middleware: BearerTokenMiddleware(token: token)) }
            router.add(middleware: RequestIDMiddleware(logger: logger))
            router.add(middleware: MetricsMiddleware())
            router.add(middleware: UnmatchedRouteMiddleware())
            routes.add(to: router)
            return router
        }
        // The socket is made with the umask, 0600 from the start rather than chmod'ed after a
        // window; the umask is put back once it is bound (nothing else runs until then).
        let socket = configuration.socket
        let previous = umask(0o177)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: Application(
                    router: router(token: nil),
                    configuration: .init(address: .unixDomainSocket(path: socket), serverName: "taphouse"),
                    onServerRunning: { [logger] _ in
                        umask(previous)
                        logger.info("serving", metadata: ["socket": "\(socket)"])
                    },
                    logger: logger))
        ]
        if let tcp = configuration.tcp {
            services.append(
                .init(
                    service: Application(
                        router: router(token: tcp.token), server: try .tls(tlsConfiguration: tcp.tls),
                        configuration: .init(address: .hostname(tcp.host, port: tcp.port), serverName: "taphouse"),
                        onServerRunning: { [logger] channel in
                            logger.info(
                                "serving", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "")"])
                        },
                        logger: logger)))
        }
        services.append(.init(service: EventsShutdown(events: events)))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Requests in flight get this long after a SIGTERM; the guests are never touched.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGrace
        let group = ServiceGroup(configuration: groupConfiguration)
        defer { umask(previous) }
        try await group.run()
        await registry.detachAll()
        unlink(socket)
        logger.info("stopped; the guests run on")
    }
}

/// Ends the event streams when the daemon stops, so the server's graceful shutdown does not
/// wait on clients that never hang up.
struct EventsShutdown: Service {
    let events: EventHub

    func run() async throws {
        try? await gracefulShutdown()
        events.finishAll()
    }
}

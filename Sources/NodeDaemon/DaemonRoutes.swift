import DaemonAPI
import Foundation
import HTTPTypes
import Hummingbird
import Node
import QEMU

/// The API under `/v1` (described by ``OpenAPIDocument``): JSON in and out, errors as
/// `application/problem+json`, every operation complete before its answer.
struct DaemonRoutes: Sendable {
    let registry: InstanceRegistry
    let operations: OperationStore
    let events: EventHub
    let hooks: HookMirror
    let node: NodeFacts
    /// The argv that attaches to an instance's serial console on this node.
    let consoleCommand: @Sendable (String) -> [String]
    let metrics: @Sendable () -> String

    /// What `GET /v1/node` says.
    struct NodeFacts: Codable, Sendable {
        var version: String
        var stateDirectory: String
        var hooks: [String]
        var qemuBinaries: [String]
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/v1/openapi.json") { _, _ in
            Self.respond(status: .ok, contentType: "application/json", text: OpenAPIDocument.json)
        }
        router.get("/v1/node") { request, _ in Self.json(node, request) }
        router.get("/v1/instances") { _, _ in
            Self.respond(status: .ok, contentType: "application/json", text: await registry.listJSON())
        }
        router.post("/v1/instances") { request, context in
            await Self.answer(request) {
                let body = try await Self.body(request)
                let spec = try Self.spec(body, request)
                let paused = try Self.flag("paused", request)
                let reason = request.uri.queryParameters.get("reason").map { String($0) }
                return try await operate(request, "start", spec.name, reason: reason) {
                    (.created, try await registry.start(spec, text: body, paused: paused, reason: reason))
                }
            }
        }
        router.get("/v1/instances/{name}") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                // A Result, not a typed throw across the actor hop: Swift 6.3.1's release build
                // crashed (LLVM, splitting this closure's coroutine) on the typed throw here.
                let info = await registry.infoResult(name)
                return Self.json(try info.get(), request)
            }
        }
        router.post("/v1/instances/{name}/stop") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let options = try await Self.decode(StopRequest.self, request) ?? StopRequest()
                let timeout = try APIBody.duration(
                    options.timeout, field: "timeout", fallback: 120, path: request.uri.path)
                return try await operate(request, "stop", name, reason: options.reason) {
                    try await registry.stop(
                        name, force: options.force ?? false, timeout: timeout, reason: options.reason)
                    return (.ok, ["stopped": name])
                }
            }
        }
        router.post("/v1/instances/{name}/reboot") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let options = try await Self.decode(StopRequest.self, request) ?? StopRequest()
                let timeout = try APIBody.duration(
                    options.timeout, field: "timeout", fallback: 120, path: request.uri.path)
                return try await operate(request, "reboot", name, reason: options.reason) {
                    try await registry.reboot(name, timeout: timeout, reason: options.reason)
                    return (.ok, try await registry.info(name))
                }
            }
        }
        router.post("/v1/instances/{name}/cleanup") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let options = try await Self.decode(StopRequest.self, request) ?? StopRequest()
                return try await operate(request, "cleanup", name, reason: options.reason) {
                    try await registry.cleanup(name, reason: options.reason)
                    return (.ok, ["cleaned": name])
                }
            }
        }

        // Hot-plug.
        router.post("/v1/instances/{name}/nics") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let nic = try APIBody.nic(try await Self.body(request), path: request.uri.path)
                let reason = request.uri.queryParameters.get("reason").map { String($0) }
                return try await operate(request, "nic-add", name, reason: reason) {
                    let added = try await registry.addNIC(name, nic, reason: reason)
                    let answer: JSONValue = .object([
                        "index": .int(Int64(added.index)), "interface": .string(added.interface),
                        "nic": QemuRuntime.json(nic: added.nic),
                    ])
                    return (.created, answer)
                }
            }
        }
        router.delete("/v1/instances/{name}/nics/{index}") { request, context in
            await Self.answer(request) {
                let (name, index, timeout, reason) = try Self.removal(request, context)
                return try await operate(request, "nic-remove", name, reason: reason) {
                    let removed = try await registry.removeNIC(name, index: index, timeout: timeout, reason: reason)
                    return (.ok, JSONValue.object(["removed": QemuRuntime.json(nic: removed)]))
                }
            }
        }
        router.post("/v1/instances/{name}/disks") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let disk = try APIBody.disk(try await Self.body(request), path: request.uri.path)
                let reason = request.uri.queryParameters.get("reason").map { String($0) }
                return try await operate(request, "disk-add", name, reason: reason) {
                    let added = try await registry.addDisk(name, disk, reason: reason)
                    return (
                        .created, JSONValue.object(["index": .int(Int64(added.index)), "disk": Self.json(added.disk)])
                    )
                }
            }
        }
        router.delete("/v1/instances/{name}/disks/{index}") { request, context in
            await Self.answer(request) {
                let (name, index, timeout, reason) = try Self.removal(request, context)
                return try await operate(request, "disk-remove", name, reason: reason) {
                    let removed = try await registry.removeDisk(name, index: index, timeout: timeout, reason: reason)
                    return (.ok, JSONValue.object(["removed": Self.json(removed)]))
                }
            }
        }

        // Migration. These routes stay in this function: from an extension in a file of their
        // own, Swift 6.3.1's release build crashed (LLVM, splitting this function's closures).
        router.get("/v1/instances/{name}/migration-info") { request, context in
            await Self.answer(request) {
                let info = try await registry.migrationInfo(try Self.name(context))
                return Self.respond(status: .ok, contentType: "application/json", text: info.json().text())
            }
        }
        router.post("/v1/instances/{name}/accept") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let body = try await Self.require(AcceptRequest.self, request)
                let (info, listen) = try body.checked(name: name, path: request.uri.path)
                return try await operate(request, "accept", name, reason: body.reason) {
                    (
                        .created,
                        try await registry.accept(
                            info, listen: listen, postcopy: body.postcopy ?? false, reason: body.reason)
                    )
                }
            }
        }
        router.post("/v1/instances/{name}/migrate") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let body = try await Self.require(MigrateRequest.self, request)
                let (target, settings) = try body.checked(path: request.uri.path)
                var peer: PeerDaemon?
                if let address = body.targetDaemon { peer = try PeerDaemon(address) }
                return try await operate(request, "migrate", name, reason: body.reason) { [peer] in
                    guard let peer else {
                        return (
                            .ok, try await registry.migrate(name, to: target, settings: settings, reason: body.reason)
                        )
                    }
                    return (
                        .ok,
                        try await registry.migrate(
                            name, to: target, through: peer, settings: settings, reason: body.reason)
                    )
                }
            }
        }
        router.post("/v1/instances/{name}/finalize") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let body = try await Self.require(FinalizeRequest.self, request)
                let timeout = try APIBody.duration(body.timeout, field: "timeout", fallback: 60, path: request.uri.path)
                return try await operate(request, "finalize", name, reason: body.reason) {
                    let outcome = try await registry.finalize(
                        name, success: body.success, timeout: timeout,
                        paused: body.paused ?? false, reason: body.reason)
                    if let outcome { return (.ok, outcome) }
                    return (.ok, ["abandoned": name])
                }
            }
        }
        router.post("/v1/instances/{name}/migrate-cancel") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                try await registry.cancelMigration(name)
                return Self.json(["cancelling": name], request, status: .accepted)
            }
        }
        router.get("/v1/operations") { request, _ in Self.json(await operations.all(), request) }
        router.get("/v1/operations/{id}") { request, context in
            await Self.answer(request) {
                let id = context.parameters.get("id") ?? ""
                let wait = try APIBody.duration(
                    request.uri.queryParameters.get("wait").map { Double($0) ?? .nan }, field: "wait", fallback: 0,
                    most: Double(OperationStore.longestWait.components.seconds), path: request.uri.path)
                guard let operation = await operations.wait(id, timeout: wait) else {
                    throw Problem(
                        status: 404, code: "not-found", title: "no such operation",
                        detail:
                            "\(id) is no operation of this daemon (finished ones are kept, the newest \(OperationStore.finishedLimit))",
                        path: request.uri.path)
                }
                return Self.json(operation, request)
            }
        }
        router.get("/v1/instances/{name}/console") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let description = try await registry.console(name, command: consoleCommand(name))
                return Self.json(description, request)
            }
        }
        router.post("/v1/plan") { request, _ in
            await Self.answer(request) {
                let (plan, features) = try await registry.plan(try Self.spec(try await Self.body(request), request))
                return Self.respond(
                    status: .ok, contentType: "application/json", text: plan.description(features: features).text())
            }
        }
        router.get("/v1/node/verify") { request, _ in
            await Self.answer(request) {
                let qemu = request.uri.queryParameters.get("qemu") ?? "/usr/bin/qemu-system-x86_64"
                guard node.qemuBinaries.contains(qemu) else {
                    throw Problem(
                        status: 400, code: "bad-request", title: "not one of this node's qemu binaries",
                        detail: "qemu: \(qemu) is not one of \(node.qemuBinaries.joined(separator: ", "))",
                        path: request.uri.path)
                }
                return Self.json(await registry.verify(qemu: qemu), request)
            }
        }
        router.get("/v1/hooks") { request, _ in Self.json(hooks.status(), request) }
        router.post("/v1/hooks/check") { request, _ in
            let checks = await registry.executor.run { hooks.checkAll() }
            return Self.json(checks, request)
        }
        router.get("/v1/events") { request, _ in
            let last = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int($0) }
            let stream = events.subscribe(after: last)
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    // A comment first, so a client knows the stream is open before any event.
                    try await writer.write(ByteBuffer(string: ": taphouse events\n\n"))
                    for await event in stream {
                        try await writer.write(ByteBuffer(string: event.serverSentEvent))
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/metrics") { _, _ in
            Self.respond(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", text: metrics())
        }
    }

    /// Runs an operation on `instance`: to its end before the answer, or with `?async=true` in
    /// the background, answered at once with 202 and the operation (`Location` says where to
    /// follow it). An instance that is busy is refused at once either way.
    func operate(
        _ request: Request, _ kind: String, _ instance: String, reason: String?,
        _ body: @escaping @Sendable () async throws -> (HTTPResponse.Status, any Encodable & Sendable)
    ) async throws -> Response {
        guard try Self.flag("async", request) else {
            let (status, value) = try await body()
            return Self.json(value, request, status: status)
        }
        try await registry.refuseWhileBusy(instance, kind)
        let path = request.uri.path
        let operation = await operations.begin(kind: kind, instance: instance, reason: reason) {
            do {
                let (status, value) = try await body()
                let result = (try? JSONValue.parse(Array(Self.encode(value).utf8))) ?? .null
                return (status.code, .success(result))
            } catch {
                let problem = Self.problem(for: error, path: path)
                return (problem.status, .failure(problem))
            }
        }
        var response = Self.json(operation, request, status: .accepted)
        response.headers[.location] = "/v1/operations/\(operation.id)"
        return response
    }

    // MARK: Helpers

    /// The instance the path names; one that is not a host name is refused here, before any
    /// operation is taken (or, with `?async=true`, accepted) for it.
    static func name(_ context: BasicRequestContext) throws -> String {
        guard let name = context.parameters.get("name") else {
            throw Problem(status: 400, code: "bad-request", title: "no instance name", detail: "the path names none")
        }
        if let problem = HostName.problem(name) {
            throw Problem(
                status: 400, code: "invalid-spec", title: "not a valid instance name", detail: "name: \(problem)")
        }
        return name
    }

    /// A yes-or-no query parameter: `true` or `false`, absent is `false`; anything else is a
    /// 400 naming it (a client that wrote `async=1` would otherwise wait for an answer it did
    /// not ask to wait for).
    static func flag(_ name: String, _ request: Request) throws(Problem) -> Bool {
        guard let value = request.uri.queryParameters.get(name) else { return false }
        switch value {
        case "true": return true
        case "false": return false
        default:
            throw Problem(
                status: 400, code: "bad-request", title: "\(name) is neither true nor false",
                detail: "\(name): \(value) is neither true nor false", path: request.uri.path)
        }
    }

    /// What a hot-remove route reads: the instance, the device's index, how long the guest has
    /// to let it go (`timeout`, 60 s unless said) and the reason.
    static func removal(
        _ request: Request, _ context: BasicRequestContext
    ) throws -> (name: String, index: Int, timeout: Duration, reason: String?) {
        let name = try Self.name(context)
        guard let text = context.parameters.get("index"), let index = Int(text), index >= 0 else {
            throw Problem(
                status: 400, code: "bad-request", title: "not an index",
                detail: "index: \(context.parameters.get("index") ?? "") is not a number from 0", path: request.uri.path
            )
        }
        let timeout = try APIBody.duration(
            query: request.uri.queryParameters.get("timeout"), field: "timeout", fallback: 60, path: request.uri.path)
        return (name, index, timeout, request.uri.queryParameters.get("reason").map { String($0) })
    }

    /// A disk as the hot-plug routes answer it: as the runtime has it, with its path and URI.
    static func json(_ disk: DiskSpec) -> JSONValue {
        var object = QemuRuntime.json(disk: disk).objectValue ?? [:]
        object["path"] = .string(disk.path)
        object["uri"] = disk.uri.map { .string($0) } ?? .null
        return .object(object)
    }

    /// The instance spec a body holds; a 400 naming the field where it does not read.
    static func spec(_ body: [UInt8], _ request: Request) throws -> InstanceSpec {
        try APIBody.spec(body, path: request.uri.path)
    }

    /// The body, up to ``APIBody/limit``: more is a 413.
    static func body(_ request: Request) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.body.collect(upTo: APIBody.limit))
        } catch {
            throw Problem(
                status: 413, code: "too-large", title: "the body is too large",
                detail: "bodies are limited to \(APIBody.limit) bytes", path: request.uri.path)
        }
    }

    /// An optional JSON body (an empty one is none).
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        try APIBody.decode(type, try await body(request), path: request.uri.path)
    }

    /// A JSON body that must be there.
    static func require<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        try APIBody.require(type, try await body(request), path: request.uri.path)
    }

    /// Runs `body`, answering its failure as a problem.
    static func answer(_ request: Request, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch {
            return Self.problem(problem(for: error, path: request.uri.path))
        }
    }

    /// The problem document of a failure.
    static func problem(for error: any Error, path: String) -> Problem {
        switch error {
        case var problem as Problem:
            {
                problem.instance = problem.instance ?? path
                return problem
            }()
        case let error as InstanceError: Problem(error, path: path)
        default: Problem(status: 500, code: "internal", title: "internal error", detail: "\(error)", path: path)
        }
    }

    static func problem(_ problem: Problem) -> Response {
        respond(
            status: HTTPResponse.Status(code: problem.status), contentType: "application/problem+json",
            text: encode(problem))
    }

    static func json(_ value: some Encodable, _ request: Request, status: HTTPResponse.Status = .ok) -> Response {
        respond(status: status, contentType: "application/json", text: encode(value))
    }

    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func respond(status: HTTPResponse.Status, contentType: String, text: String) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

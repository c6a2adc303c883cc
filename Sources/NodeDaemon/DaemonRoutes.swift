import Foundation
import HTTPTypes
import Hummingbird
import Node
import QEMU

/// The API under `/v1` (described by ``OpenAPIDocument``): JSON in and out, errors as
/// `application/problem+json`, every operation complete before its answer.
struct DaemonRoutes: Sendable {
    /// Larger bodies are refused (413) before they are read in full.
    static let bodyLimit = 1 << 20

    let registry: InstanceRegistry
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

    struct StopRequest: Codable {
        var timeout: Double?
        var force: Bool?
        var reason: String?
    }

    func add(to router: Router<BasicRequestContext>) {
        router.get("/v1/openapi.json") { _, _ in
            Self.respond(status: .ok, contentType: "application/json", text: OpenAPIDocument.json)
        }
        router.get("/v1/node") { request, _ in Self.json(node, request) }
        router.get("/v1/instances") { request, _ in Self.json(await registry.list(), request) }
        router.post("/v1/instances") { request, context in
            await Self.answer(request) { () async throws -> Response in
                let body = try await Self.body(request)
                let spec: InstanceSpec
                do {
                    spec = try InstanceSpec.parse(json: Data(body))
                } catch {
                    throw Problem(
                        status: 400, code: "invalid-spec", title: "the spec is not valid", detail: "\(error)",
                        path: request.uri.path)
                }
                let paused = request.uri.queryParameters.get("paused") == "true"
                let reason = request.uri.queryParameters.get("reason").map { String($0) }
                let info = try await registry.start(spec, text: body, paused: paused, reason: reason)
                return Self.json(info, request, status: .created)
            }
        }
        router.get("/v1/instances/{name}") { request, context in
            await Self.answer(request) { try await Self.json(registry.info(try Self.name(context)), request) }
        }
        router.post("/v1/instances/{name}/stop") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let options = try await Self.decode(StopRequest.self, request) ?? StopRequest()
                try await registry.stop(
                    name, force: options.force ?? false, timeout: .seconds(options.timeout ?? 120),
                    reason: options.reason)
                return Self.json(["stopped": name], request)
            }
        }
        router.post("/v1/instances/{name}/reboot") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let options = try await Self.decode(StopRequest.self, request) ?? StopRequest()
                try await registry.reboot(name, timeout: .seconds(options.timeout ?? 120), reason: options.reason)
                return try await Self.json(registry.info(name), request)
            }
        }
        router.post("/v1/instances/{name}/cleanup") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let options = try await Self.decode(StopRequest.self, request) ?? StopRequest()
                try await registry.cleanup(name, reason: options.reason)
                return Self.json(["cleaned": name], request)
            }
        }
        router.get("/v1/instances/{name}/console") { request, context in
            await Self.answer(request) {
                let name = try Self.name(context)
                let description = try await registry.console(name, command: consoleCommand(name))
                return Self.json(description, request)
            }
        }
        router.get("/v1/hooks") { request, _ in Self.json(hooks.status(), request) }
        router.post("/v1/hooks/check") { request, _ in
            let checks = await registry.executor.run { hooks.checkAll() }
            return Self.json(checks, request)
        }
        router.get("/v1/events") { request, _ in
            let last = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int($0) }
            let stream = await events.subscribe(after: last)
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

    // MARK: Helpers

    static func name(_ context: BasicRequestContext) throws -> String {
        guard let name = context.parameters.get("name") else {
            throw Problem(status: 400, code: "bad-request", title: "no instance name", detail: "the path names none")
        }
        return name
    }

    /// The body, up to ``bodyLimit``: more is a 413.
    static func body(_ request: Request) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.body.collect(upTo: bodyLimit))
        } catch {
            throw Problem(
                status: 413, code: "too-large", title: "the body is too large",
                detail: "bodies are limited to \(bodyLimit) bytes", path: request.uri.path)
        }
    }

    /// An optional JSON body (an empty one is none).
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        let bytes = try await body(request)
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) else { return nil }
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: Data(bytes))
        } catch {
            throw Problem(
                status: 400, code: "bad-request", title: "the body does not read", detail: "\(error)",
                path: request.uri.path)
        }
    }

    /// Runs `body`, answering its failure as a problem.
    static func answer(_ request: Request, _ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let problem as Problem {
            return Self.problem(problem)
        } catch let error as InstanceError {
            return Self.problem(Problem(error, path: request.uri.path))
        } catch {
            return Self.problem(
                Problem(
                    status: 500, code: "internal", title: "internal error", detail: "\(error)", path: request.uri.path))
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

import DaemonAPI
import HTTPTypes
import Hummingbird
import QEMU

/// Answers what no route takes as every other refusal is answered, a problem document: a path
/// the API does not have is a 404, and a method a path does not take is a 405 whose `Allow`
/// names the methods it does. The routes are read from the OpenAPI document, which the tests
/// hold to what the router serves.
struct UnmatchedRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each of the document's path templates, split at `/`, with the methods it takes.
    let routes: [(parts: [Substring], methods: [String])]

    init(document: String = OpenAPIDocument.json) {
        var routes: [(parts: [Substring], methods: [String])] = []
        if case .object(let document)? = try? JSONValue.parse(Array(document.utf8)),
            case .object(let paths)? = document["paths"]
        {
            for (template, value) in paths {
                guard case .object(let operations) = value else { continue }
                let methods = operations.keys.filter { Self.methods.contains($0) }.map { $0.uppercased() }.sorted()
                routes.append((template.split(separator: "/", omittingEmptySubsequences: false), methods))
            }
        }
        self.routes = routes
    }

    /// The keys of a path item that are methods (not `parameters`, `summary`, ...).
    static var methods: Set<String> { ["get", "put", "post", "delete", "options", "head", "patch", "trace"] }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            // The router's own answer when nothing matched; the routes' failures are responses.
            guard let unmatched = error as? HTTPError, unmatched.status == .notFound else { throw error }
            let path = request.uri.path
            guard let allowed = allowed(path) else {
                return DaemonRoutes.problem(
                    Problem(
                        status: 404, code: "not-found", title: "no such route",
                        detail: "\(path) is not a route of this API (GET /v1/openapi.json lists them)", path: path))
            }
            var response = DaemonRoutes.problem(
                Problem(
                    status: 405, code: "method-not-allowed", title: "method not allowed",
                    detail: "\(path) takes \(allowed.joined(separator: ", ")), not \(request.method.rawValue)",
                    path: path))
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    /// The methods `path` takes, or nil where it is no route.
    func allowed(_ path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let methods = routes.filter { route in
            route.parts.count == parts.count
                && zip(route.parts, parts).allSatisfy { $0.first == "{" ? !$1.isEmpty : $0 == $1 }
        }.flatMap { $0.methods }
        return methods.isEmpty ? nil : Array(Set(methods)).sorted()
    }
}

import DaemonAPI
import HTTPTypes
import Hummingbird

/// The TCP listener's gate: a request without `Authorization: Bearer <token>` (or with another
/// token) gets 401 as a problem, and nothing else runs.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let given = request.headers[.authorization].flatMap { value -> [UInt8]? in
            value.hasPrefix("Bearer ") ? Array(value.utf8.dropFirst("Bearer ".utf8.count)) : nil
        }
        guard let given, Self.same(given, token) else {
            var response = DaemonRoutes.problem(
                Problem(
                    status: 401, code: "unauthorized", title: "no valid bearer token",
                    detail: "this listener needs Authorization: Bearer <token>", path: request.uri.path))
            response.headers[.wwwAuthenticate] = #"Bearer realm="taphouse""#
            return response
        }
        return try await next(request, context)
    }

    /// Compares in time that depends on the length only, not on where the first difference is.
    static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

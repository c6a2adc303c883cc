import HTTPTypes
import Hummingbird
import Logging
import QMP

/// Gives each request an id (the client's `X-Request-ID` when it is a short token, else a new
/// one), sends it back in the answer's `X-Request-ID`, and logs the request's end with its
/// status and duration: every log line the request causes carries the id (``RequestTrail``).
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    static var header: HTTPField.Name { HTTPField.Name("X-Request-ID")! }

    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let id = request.headers[Self.header].flatMap(Self.accepted) ?? Self.newID()
        let started = ContinuousClock.now
        return try await RequestTrail.$requestID.withValue(id) {
            var response = try await next(request, context)
            response.headers[Self.header] = id
            let took = ContinuousClock.now - started
            // Reads are many (an orchestrator polls); what changes the node is worth a line.
            logger.log(
                level: request.method == .get ? .debug : .info, "request",
                metadata: [
                    "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                    "status": "\(response.status.code)", "took": "\(took.shortText)",
                ])
            return response
        }
    }

    /// A client's id, where it is 1 to 64 of `[A-Za-z0-9._-]` (nothing that could forge a log line).
    static func accepted(_ text: String) -> String? {
        guard (1...64).contains(text.utf8.count),
            text.utf8.allSatisfy({
                $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_")
            })
        else { return nil }
        return text
    }

    static func newID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5a).contains(self) || (0x61...0x7a).contains(self)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

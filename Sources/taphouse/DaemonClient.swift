import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Node
import QEMU

/// The CLI's way to a node daemon serving its state directory: the verbs go through it when
/// one runs (one place serialises, hooks stay warm), with the same output and exit codes as
/// in-process. A failure comes back as the daemon's problem; its `detail` is the text the verb
/// prints in-process.
struct DaemonClient {
    let socket: String

    /// The daemon holding `state`'s serve lock, if one does: the lock file names its socket.
    static func serving(_ state: StateDirectory) -> DaemonClient? {
        let fd = open(state.serveLock, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Taken at once: no daemon holds it.
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        let named = (try? String(contentsOfFile: state.serveLock, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return DaemonClient(socket: named.flatMap { $0.isEmpty ? nil : $0 } ?? state.apiSocket)
    }

    /// A failure the daemon answered with.
    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var description: String
    }

    /// Sends a request; the answer's body when it succeeded.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        let host = socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket
        var request = HTTPClientRequest(url: "http+unix://\(host)\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        // No read timeout: a verb answers when it is done (a stop waits up to its own timeout).
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(10), read: nil)))
        let answer: (HTTPResponseStatus, [UInt8])
        do {
            let response = try await client.execute(request, timeout: .hours(1))
            answer = (response.status, Array(buffer: try await response.body.collect(upTo: 64 << 20)))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
        let (status, bytes) = answer
        guard (200..<300).contains(Int(status.code)) else {
            let problem = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
            throw Failure(
                status: Int(status.code),
                description: problem?["detail"] as? String ?? "the daemon answered \(status)")
        }
        return bytes
    }

    /// Sends a request and decodes its answer.
    func get<T: Decodable>(_ type: T.Type, _ path: String) async throws -> T {
        try Self.decoder.decode(T.self, from: Data(try await send(.GET, path)))
    }

    /// A body for the verbs' options.
    static func body(_ fields: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: fields)) ?? Data("{}".utf8))
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// A path segment, escaped.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }
}

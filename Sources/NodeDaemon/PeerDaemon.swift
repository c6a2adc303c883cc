import AsyncHTTPClient
import DaemonAPI
import Foundation
import HummingbirdTLS
import NIOCore
import NIOHTTP1
import Node
import QEMU

/// Another node's daemon, as a migration's source drives it: over its Unix socket (both nodes'
/// daemons on one host, or a socket forwarded), or `https://` with its bearer token and the CA
/// that signed its certificate.
struct PeerDaemon: Sendable {
    /// Where the peer is, as a migrate request names it.
    typealias Address = PeerAddress

    /// The peer's answer that is not a success: its status and problem document.
    struct Refusal: Error, CustomStringConvertible {
        var status: Int
        var problem: JSONValue?
        var description: String {
            problem?["detail"]?.stringValue ?? problem?["title"]?.stringValue ?? "the peer daemon answered \(status)"
        }
    }

    let base: String
    let token: String?
    let tls: TLSConfiguration?

    /// Checks `address`; the refusal names the field.
    init(_ address: Address) throws(InstanceError) {
        switch try address.checked() {
        case .socket(let socket):
            base = "http+unix://" + (socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket)
            token = nil
            tls = nil
        case .https(let base, let token, let caFile):
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw InstanceError(
                        .invalidSpec, "", "migrate", step: "reading target_daemon.ca_file", "\(caFile) cannot be read")
                }
                tls.trustRoots = .file(caFile)
            }
            self.base = base
            self.token = token
            self.tls = tls
        }
    }

    /// POSTs `body` to `path`; the answer's JSON on a 2xx, else a ``Refusal``.
    func post(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(string: body.text()))
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(tlsConfiguration: tls, timeout: .init(connect: .seconds(10), read: nil)))
        do {
            let response = try await client.execute(request, timeout: .minutes(10))
            let bytes = Array(buffer: try await response.body.collect(upTo: 16 << 20))
            try? await client.shutdown()
            let json = try? JSONValue.parse(bytes)
            guard (200..<300).contains(Int(response.status.code)) else {
                throw Refusal(status: Int(response.status.code), problem: json)
            }
            return json ?? .null
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

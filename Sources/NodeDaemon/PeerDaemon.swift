import AsyncHTTPClient
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
    struct Address: Codable, Sendable {
        /// The peer's API socket.
        var socket: String?
        /// `https://HOST:PORT` of the peer's `--listen`.
        var url: String?
        /// The peer's bearer token (with `url`).
        var token: String?
        /// A PEM file on this node with the CA (or the certificate) the peer's is checked against.
        var caFile: String?
    }

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
        func refuse(_ field: String, _ reason: String) -> InstanceError {
            InstanceError(.invalidSpec, "", "migrate", step: "reading target_daemon.\(field)", reason)
        }
        switch (address.socket, address.url) {
        case (let socket?, nil):
            guard socket.hasPrefix("/") else { throw refuse("socket", "\(socket) is not an absolute path") }
            base = "http+unix://" + (socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket)
            token = nil
            tls = nil
        case (nil, let url?):
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw refuse("url", "\(url) is not an https:// URL (the API is served on TCP only with TLS)")
            }
            guard let token = address.token, !token.isEmpty else {
                throw refuse("token", "a peer reached over https needs its bearer token")
            }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let caFile = address.caFile {
                guard FileManager.default.isReadableFile(atPath: caFile) else {
                    throw refuse("ca_file", "\(caFile) cannot be read")
                }
                tls.trustRoots = .file(caFile)
            }
            base = url.hasSuffix("/") ? String(url.dropLast()) : url
            self.token = token
            self.tls = tls
        default:
            throw refuse("socket", "give either socket or url")
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

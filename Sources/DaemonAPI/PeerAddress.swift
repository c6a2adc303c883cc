import Foundation
import Node

/// How a source daemon reaches the target node's daemon: its API socket, or its `--listen`
/// over https with the bearer token.
public struct PeerAddress: Codable, Sendable, Equatable {
    /// The peer's API socket.
    public var socket: String?
    /// `https://HOST:PORT` of the peer's `--listen`.
    public var url: String?
    /// The peer's bearer token (with `url`).
    public var token: String?
    /// A PEM file on this node with the CA (or the certificate) the peer's is checked against.
    public var caFile: String?

    public init(socket: String? = nil, url: String? = nil, token: String? = nil, caFile: String? = nil) {
        self.socket = socket
        self.url = url
        self.token = token
        self.caFile = caFile
    }

    /// One of the two ways, checked without touching the node (the CA file is read when used).
    public enum Checked: Sendable, Equatable {
        case socket(String)
        case https(base: String, token: String, caFile: String?)
    }

    /// The way this address names; the refusal names the field.
    public func checked() throws(InstanceError) -> Checked {
        func refuse(_ field: String, _ reason: String) -> InstanceError {
            InstanceError(.invalidSpec, "", "migrate", step: "reading target_daemon.\(field)", reason)
        }
        switch (socket, url) {
        case (let socket?, nil):
            guard socket.hasPrefix("/") else { throw refuse("socket", "\(socket) is not an absolute path") }
            return .socket(socket)
        case (nil, let url?):
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw refuse("url", "\(url) is not an https:// URL (the API is served on TCP only with TLS)")
            }
            guard let token, !token.isEmpty else {
                throw refuse("token", "a peer reached over https needs its bearer token")
            }
            return .https(base: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token, caFile: caFile)
        default:
            throw refuse("socket", "give either socket or url")
        }
    }
}

import Foundation
import HummingbirdTLS

/// `--listen ADDRESS:PORT`: the API over TCP, only with TLS and a bearer token (the Unix socket
/// is the owner's by its mode; a port is anyone's on the network).
public struct TCPListener: Sendable {
    public var host: String
    public var port: Int
    let tls: TLSConfiguration
    let token: String

    /// Reads the certificate chain, the key and the token; each failure names its file. The
    /// token file must be the owner's alone (as ssh asks of a key), and hold a token of at
    /// least 16 characters.
    public init(address: String, certificate: String, key: String, tokenFile: String) throws(ServeError) {
        (host, port) = try Self.parse(address)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw ServeError("--tls-cert \(certificate): \(error)")
        }
        guard !chain.isEmpty else { throw ServeError("--tls-cert \(certificate): no certificate in it") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ServeError("--tls-key \(key): \(error)")
        }
        tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        var info = stat()
        guard stat(tokenFile, &info) == 0 else {
            throw ServeError("--token-file \(tokenFile): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ServeError(
                "--token-file \(tokenFile): mode \(String(info.st_mode & 0o777, radix: 8)) lets others read it; chmod 600"
            )
        }
        guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw ServeError("--token-file \(tokenFile): does not read as text")
        }
        token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard token.count >= 16, !token.contains(where: \.isWhitespace) else {
            throw ServeError("--token-file \(tokenFile): the token must be one word of at least 16 characters")
        }
    }

    /// `127.0.0.1:8443`, `[::1]:8443`, `node1.example:8443`.
    static func parse(_ address: String) throws(ServeError) -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port)
        else {
            throw ServeError("--listen \(address): expected unix:PATH or ADDRESS:PORT")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ServeError("--listen \(address): no address before the port") }
        return (host, port)
    }
}

/// What `taphouse serve` refuses before it serves, naming the option and the file.
public struct ServeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// How a client reaches an instance's console: what `taphouse instance console NAME --json`
/// prints and what a console policy hook gets and returns.
///
/// Each kind carries exactly its fields, so a description cannot mix kinds. As JSON it is an
/// object with `kind` and the kind's fields in snake_case: `host`, `port`, `user`, `command`
/// (ssh), `display` (vnc), `tls_port` (spice, when TLS is on), `message` (message).
public enum ConsoleDescription: Sendable, Hashable {
    /// Run `command` on `host` over ssh as `user` on `port`, with a tty.
    case ssh(host: String, port: Int, user: String, command: [String])
    /// Connect a VNC client to `host`:`port` (display `display`).
    case vnc(host: String, port: Int, display: Int)
    /// Connect a SPICE client to `host`:`port`; `tlsPort` is the port that speaks TLS, if any.
    case spice(host: String, port: Int, tlsPort: Int?)
    /// There is no console; the text says why.
    case message(String)

    /// The kind of console.
    public var kind: ConsoleKind {
        switch self {
        case .ssh: .ssh
        case .vnc: .vnc
        case .spice: .spice
        case .message: .message
        }
    }

    /// The host to connect to (ssh, vnc, spice).
    public var host: String? {
        switch self {
        case .ssh(let host, _, _, _), .vnc(let host, _, _), .spice(let host, _, _): host
        case .message: nil
        }
    }

    /// The port to connect to (ssh, vnc, spice).
    public var port: Int? {
        switch self {
        case .ssh(_, let port, _, _), .vnc(_, let port, _), .spice(_, let port, _): port
        case .message: nil
        }
    }

    /// The ssh user (ssh).
    public var user: String? {
        if case .ssh(_, _, let user, _) = self { return user }
        return nil
    }

    /// The argv to run on the host (ssh).
    public var command: [String]? {
        if case .ssh(_, _, _, let command) = self { return command }
        return nil
    }

    /// The VNC display (vnc).
    public var display: Int? {
        if case .vnc(_, _, let display) = self { return display }
        return nil
    }

    /// The port that speaks TLS (spice, when TLS is on).
    public var tlsPort: Int? {
        if case .spice(_, _, let tlsPort) = self { return tlsPort }
        return nil
    }

    /// The text (message).
    public var message: String? {
        if case .message(let text) = self { return text }
        return nil
    }

    /// The description as a JSON object: `kind` and the kind's fields, snake_case.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue)]
        if let host { object["host"] = .string(host) }
        if let port { object["port"] = .int(Int64(port)) }
        if let user { object["user"] = .string(user) }
        if let command { object["command"] = .array(command.map(JSONValue.string)) }
        if let display { object["display"] = .int(Int64(display)) }
        if let tlsPort { object["tls_port"] = .int(Int64(tlsPort)) }
        if let message { object["message"] = .string(message) }
        return .object(object)
    }
}

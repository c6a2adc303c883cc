/// How a client reaches an instance's console: Ganeti's `InstanceConsole` kinds.
public enum ConsoleKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A serial console reached by running `command` on `host` over ssh (with a tty).
    case ssh
    /// A VNC server at `host`, `port` (display `port - 5900`).
    case vnc
    /// A SPICE server at `host`, `port` (TLS on `tls_port` when it has one).
    case spice
    /// No console: a message saying so.
    case message

    /// The fields a description of this kind has, after `kind`, in the order they are shown.
    /// `tls_port` is the one optional field.
    public var fields: [String] {
        switch self {
        case .ssh: ["host", "port", "user", "command"]
        case .vnc: ["host", "port", "display"]
        case .spice: ["host", "port", "tls_port"]
        case .message: ["message"]
        }
    }
}

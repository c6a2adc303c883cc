/// Ganeti's `GetInstanceConsole` for KVM (reference E): the console of a running instance, first
/// that applies of serial, VNC, SPICE, and a message saying there is none.
public enum ConsoleRules {
    /// The hypervisor parameters that concern consoles: what a console policy hook sees of them.
    public static let parameters = [
        "serial_console", "serial_speed", "vnc_bind_address", "vnc_tls", "vnc_x509_path", "vnc_x509_verify",
        "vnc_password_file", "spice_bind", "spice_ip_version", "spice_use_tls", "spice_password_file",
    ]

    /// The first VNC port: display 0 listens on 5900.
    public static let vncBasePort = 5900

    /// The console description for `input`.
    public static func describe(_ input: ConsoleInput) -> ConsoleDescription {
        let hv = input.hvparams
        if hv.bool("serial_console") {
            return .ssh(host: input.primaryNode, port: input.sshPort, user: input.sshUser, command: input.command)
        }
        // Ganeti offers VNC only above 5900: display 0 would need port 5900 itself, which
        // Ganeti never hands out, and a lower port has no display at all.
        let vnc = hv.string("vnc_bind_address")
        if !vnc.isEmpty, let port = input.networkPort, port > vncBasePort {
            // The bind address verbatim, as Ganeti: 0.0.0.0, an interface name or a socket folder
            // means something only to a client that knows the node.
            return .vnc(host: vnc, port: port, display: port - vncBasePort)
        }
        let spice = hv.string("spice_bind")
        if !spice.isEmpty, let port = input.networkPort {
            // With TLS qemu gets `tls-port=PORT` instead of `port=PORT`: the one port speaks TLS
            // only, so the TLS port is the network port and `port` stays what Ganeti reports.
            return .spice(host: spice, port: port, tlsPort: hv.bool("spice_use_tls") ? port : nil)
        }
        return .message("No serial shell for instance \(input.instance)")
    }
}

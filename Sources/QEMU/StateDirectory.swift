/// The paths of node state that end up on qemu's command line, from the state directory the
/// caller names. Planning never reads the system for them.
public struct NodePaths: Sendable, Hashable {
    /// The state directory (`/var/run/taphouse` by default).
    public var stateDirectory: String
    /// The SPICE TLS CA certificate.
    public var spiceCACertificate: String
    /// The SPICE TLS certificate and key (one file, as Ganeti's `spice.pem`).
    public var spiceCertificate: String

    /// Creates the paths.
    public init(
        stateDirectory: String, spiceCACertificate: String = "/etc/taphouse/spice-ca.pem",
        spiceCertificate: String = "/etc/taphouse/spice.pem"
    ) {
        self.stateDirectory = stateDirectory
        self.spiceCACertificate = spiceCACertificate
        self.spiceCertificate = spiceCertificate
    }

    public func pidFile(_ instance: String) -> String { "\(stateDirectory)/pid/\(instance)" }
    /// The QMP socket for short operations under the instance lock.
    public func qmpSocket(_ instance: String) -> String { "\(stateDirectory)/ctrl/\(instance).qmp" }
    /// The QMP socket the daemon holds open for events.
    public func eventsSocket(_ instance: String) -> String { "\(stateDirectory)/ctrl/\(instance).events" }
    public func serialSocket(_ instance: String) -> String { "\(stateDirectory)/ctrl/\(instance).serial" }
    public func guestAgentSocket(_ instance: String) -> String { "\(stateDirectory)/ctrl/\(instance).qga" }
    public func chrootDirectory(_ instance: String) -> String { "\(stateDirectory)/chroot/\(instance)" }
}

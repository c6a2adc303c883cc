import HostNet

/// Reads a link's state through the real kernel, from inside a test namespace.
enum LinuxHostProbe {
    static func link(_ name: String) throws -> LinkState? { try LinuxHost().link(name) }
}

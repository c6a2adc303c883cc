/// What `instance list` and `instance info` say of an instance's qemu.
public enum InstanceState: String, Sendable, Codable, CaseIterable {
    case running
    case paused
    /// Its files are there but no qemu runs for it (it was killed, or a start was cut short):
    /// `instance cleanup` or the next start clears it.
    case stopped
    /// Its state files do not read (a runtime cut short, say): `info` says what is wrong, and
    /// `stop` and `cleanup` still end its qemu and undo its NICs.
    case error
}

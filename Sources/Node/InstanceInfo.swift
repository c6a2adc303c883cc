/// An instance as `instance info` shows it.
public struct InstanceInfo: Sendable, Codable {
    public struct NIC: Sendable, Codable {
        public var index: Int
        public var tap: String?
        /// From the runtime; nil when the runtime does not read (state `error`).
        public var mode: String?
        public var link: String?
        public var mac: String?
        /// The hook file and version (SHA-256 of its text) that brought the NIC up.
        public var hook: String?
        public var hookVersion: String?
    }

    public struct Disk: Sendable, Codable {
        public var index: Int
        /// qemu's device (and block node) id.
        public var device: String?
        public var path: String
        public var uri: String?
        public var mode: String
    }

    public var name: String
    public var pid: Int32?
    public var state: InstanceState
    /// Why it is stopped, when it ended by itself (`guest-shutdown`, `crashed`).
    public var reason: String?
    /// From QMP when the instance runs; else from its runtime.
    public var memoryMiB: Int?
    public var vcpus: Int?
    public var nics: [NIC]
    /// From the runtime, as hot-plug left them.
    public var disks: [Disk] = []
    /// What is wrong, where something is: a state file that does not read (state `error`), or
    /// the part qemu did not answer within the bound of `info`.
    public var problem: String?

    enum CodingKeys: String, CodingKey {
        case name, pid, state, reason, vcpus, nics, disks, problem
        /// `memory_mib` in JSON (not `memory_mi_b`, which a snake-case encoder makes of
        /// `memoryMiB`); spelled so that snake-case decoding finds it too.
        case memoryMiB = "memoryMib"
    }
}

/// An instance as `instance info` shows it.
public struct InstanceInfo: Sendable, Codable {
    public struct NIC: Sendable, Codable {
        public var index: Int
        public var tap: String?
        public var mode: String
        public var link: String?
        public var mac: String
        /// The hook file and version (SHA-256 of its text) that brought the NIC up.
        public var hook: String?
        public var hookVersion: String?
    }

    public var name: String
    public var pid: Int32?
    public var state: InstanceState
    /// From QMP when the instance runs; else from its runtime.
    public var memoryMiB: Int?
    public var vcpus: Int?
    public var nics: [NIC]
}

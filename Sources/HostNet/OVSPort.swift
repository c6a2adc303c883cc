/// An Open vSwitch port record: its bridge, access tag and trunks.
public struct OVSPort: Sendable, Hashable, Codable {
    public var name: String
    public var bridge: String
    public var tag: Int?
    public var trunks: [Int]

    public init(name: String, bridge: String, tag: Int? = nil, trunks: [Int] = []) {
        self.name = name
        self.bridge = bridge
        self.tag = tag
        self.trunks = trunks
    }
}

/// One VLAN entry of a bridge port (or of the bridge itself).
public struct BridgeVLAN: Sendable, Hashable, Codable {
    public var vid: Int
    /// The port's native VLAN: untagged frames arriving get this id.
    public var pvid: Bool
    /// Frames of this VLAN leave the port untagged.
    public var untagged: Bool

    public init(vid: Int, pvid: Bool = false, untagged: Bool = false) {
        self.vid = vid
        self.pvid = pvid
        self.untagged = untagged
    }
}

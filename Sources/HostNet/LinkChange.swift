/// Several changes to one link, made in one request: on the kernel one RTM_SETLINK, so a tap
/// that needs its MAC, MTU, state and bridge set costs one round trip instead of four.
///
/// The kernel applies the fields in a fixed order (MAC, MTU, up/down, master), and a request it
/// refuses part way leaves the earlier fields changed: callers that must undo record every
/// field's old value before asking.
public struct LinkChange: Sendable, Hashable {
    /// What to do with the link's master (its bridge).
    public enum Master: Sendable, Hashable {
        /// Enslave to this bridge. `index` is its interface index when the caller just read it
        /// (saves a look-up; the kernel refuses an index that is gone).
        case bridge(String, index: Int32? = nil)
        /// Release from whatever master it has (`nomaster`).
        case none
    }

    /// The hardware address, six hex pairs.
    public var mac: String?
    public var mtu: Int?
    /// Administratively up (true) or down (false).
    public var up: Bool?
    public var master: Master?

    public init(mac: String? = nil, mtu: Int? = nil, up: Bool? = nil, master: Master? = nil) {
        self.mac = mac
        self.mtu = mtu
        self.up = up
        self.master = master
    }

    /// Nothing to change.
    public var isEmpty: Bool { mac == nil && mtu == nil && up == nil && master == nil }

    /// The change as errors say it: its calls (``HostCall/link(_:_:)``), `set_mac tap0 fe:..,
    /// set_up tap0`.
    public func description(of link: String) -> String {
        HostCall.link(link, self).map(\.description).joined(separator: ", ")
    }
}

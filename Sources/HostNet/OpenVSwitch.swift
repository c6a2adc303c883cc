/// Open vSwitch port operations, behind a protocol like ``HostNetwork``: the real one drives
/// `ovs-vsctl` (argv, with a timeout), the fake one keeps records in memory.
public protocol OpenVSwitch: AnyObject {
    /// The port of that name, or nil.
    func port(_ name: String) throws(HostNetError) -> OVSPort?
    func addPort(bridge: String, port: String) throws(HostNetError)
    func deletePort(_ name: String) throws(HostNetError)
    /// Sets the access tag (nil clears it) and trunks (empty clears them).
    func setPort(_ name: String, tag: Int?, trunks: [Int]) throws(HostNetError)
}

/// A unicast route: a destination prefix through a device, in a table, with a protocol tag.
public struct Route: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `192.0.2.5/32`, `2001:db8::5/128`, `10.0.0.0/24`.
    public var destination: String
    /// The output device.
    public var device: String
    /// Routing table id (254 is `main`).
    public var table: Int
    /// Route protocol (4 is `static`, Ganeti's `proto static`).
    public var proto: Int

    public static let mainTable = 254
    public static let staticProto = 4

    public init(destination: String, device: String, table: Int = Route.mainTable, proto: Int = Route.staticProto) {
        self.destination = destination
        self.device = device
        self.table = table
        self.proto = proto
    }

    public var description: String { "\(destination) dev \(device) table \(table) proto \(proto)" }

    /// The route as the kernel lists it: the destination in its spelling with its length (a host
    /// prefix when it has none), an IPv6 one with its host bits cleared (the kernel stores
    /// `2001:db8::5/64` as `2001:db8::/64`; an IPv4 one with host bits it refuses). A destination
    /// that is no prefix stays as it is.
    public var listed: Route {
        guard let (address, length) = IPAddress.prefix(destination) else { return self }
        var listed = self
        let network = address.count == 16 ? IPAddress.masked(address, length) : address
        listed.destination = "\(IPAddress.text(network))/\(length)"
        return listed
    }
}

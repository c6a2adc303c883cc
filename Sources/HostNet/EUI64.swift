/// The IPv6 address a NIC forms itself by SLAAC from its MAC (modified EUI-64, RFC 4291 2.5.1):
/// the prefix's first 64 bits, then the MAC with `ff:fe` in the middle and the universal/local
/// bit flipped. What Ganeti sites compute with `mac2eui64` for the route and proxy neighbour of
/// a routed NIC's IPv6 address.
public enum EUI64 {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `mac` in `prefix` (`2001:db8:1::/64`; any length up to 64), as the kernel writes it.
    public static func address(mac: String, prefix: String) throws(Failure) -> String {
        let octets = mac.split(separator: ":", omittingEmptySubsequences: false)
        guard octets.count == 6, octets.allSatisfy({ $0.count == 2 }) else {
            throw Failure(description: "\(mac) is not a MAC address (six hex pairs)")
        }
        var bytes: [UInt8] = []
        for octet in octets {
            guard let byte = UInt8(octet, radix: 16) else {
                throw Failure(description: "\(mac) is not a MAC address (six hex pairs)")
            }
            bytes.append(byte)
        }
        guard let (network, length) = IPAddress.prefix(prefix), network.count == 16, prefix.contains("/") else {
            throw Failure(description: "\(prefix) is not an IPv6 prefix (2001:db8::/64)")
        }
        guard length <= 64 else {
            throw Failure(description: "\(prefix) is longer than /64: no room for an interface identifier")
        }
        let identifier = [bytes[0] ^ 0x02, bytes[1], bytes[2], 0xFF, 0xFE, bytes[3], bytes[4], bytes[5]]
        return IPAddress.text(Array(IPAddress.masked(network, length).prefix(8)) + identifier)
    }
}

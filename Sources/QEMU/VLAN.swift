/// Ganeti's VLAN notation for a NIC: `.V` access (untagged in V), `:V1[:V2...]` trunk (tagged),
/// `.V:V2[:V3...]` hybrid (native V untagged plus tagged ones). A bare `V` is read as `.V`.
public struct VLAN: Sendable, Hashable, Codable {
    /// The untagged (access, native) VLAN, if any.
    public var access: Int?
    /// The tagged VLANs, in the order given.
    public var trunks: [Int]

    /// Creates a VLAN set.
    public init(access: Int?, trunks: [Int]) {
        self.access = access
        self.trunks = trunks
    }

    /// Parses the notation; `""` is no VLAN (`nil`).
    public static func parse(_ text: String) throws(SpecError) -> VLAN? {
        if text.isEmpty { return nil }
        func vid(_ part: Substring) throws(SpecError) -> Int {
            guard let v = Int(part), part.allSatisfy(\.isASCII), v >= 1, v <= 4094 else {
                throw SpecError("", "VLAN \"\(text)\": \"\(part)\" is not a VLAN id (1-4094)")
            }
            return v
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var access: Int?
        var first = parts[0]
        if first.hasPrefix(".") { first = first.dropFirst() }
        if !first.isEmpty {
            access = try vid(first)
        } else if !text.hasPrefix(":") {
            throw SpecError("", "VLAN \"\(text)\" is not in the notation .V, :V1:V2 or .V:V2")
        }
        var trunks: [Int] = []
        for part in parts.dropFirst() { trunks.append(try vid(part)) }
        if !text.hasPrefix(".") && !text.hasPrefix(":") && !trunks.isEmpty {
            throw SpecError("", "VLAN \"\(text)\" is not in the notation .V, :V1:V2 or .V:V2")
        }
        guard access != nil || !trunks.isEmpty else {
            throw SpecError("", "VLAN \"\(text)\" names no VLAN id")
        }
        return VLAN(access: access, trunks: trunks)
    }
}

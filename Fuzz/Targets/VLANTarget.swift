import QEMU

/// Ganeti's VLAN notation: a set that reads is in range, and its own notation reads as itself.
enum VLANTarget: FuzzTarget {
    static let name = "vlan"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let text = String(decoding: input, as: UTF8.self)
        // nil: refused, or "" (no VLAN).
        guard let vlan = try? VLAN.parse(text) else { return }
        let ids = (vlan.access.map { [$0] } ?? []) + vlan.trunks
        guard ids.allSatisfy({ (1...4094).contains($0) }) else { throw FuzzFinding("\"\(text)\" read ids \(ids)") }
        let written = (vlan.access.map { ".\($0)" } ?? "") + vlan.trunks.map { ":\($0)" }.joined()
        guard let again = try? VLAN.parse(written), again == vlan else {
            throw FuzzFinding("\"\(text)\" read as \(vlan), whose notation \"\(written)\" reads differently")
        }
    }
}

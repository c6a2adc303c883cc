extension NICSpec {
    /// Reads and checks the fields a NIC carries in a spec and in a runtime file alike: MAC, IP,
    /// uuid (when present), name, network and `nicparams` (mode, link, VLAN). The caller adds the
    /// rules of its own (a spec requires the uuid and refuses unknown fields; a runtime file makes
    /// a uuid for Ganeti's older NICs and reads placement). `uuid` is `""` when absent.
    static func readFields(_ r: inout FieldReader, strictParams: Bool) throws(SpecError) -> NICSpec {
        guard let rawMAC = try r.string("mac"), !rawMAC.isEmpty else {
            throw SpecError(r.field("mac"), "a value is required")
        }
        guard let mac = MACAddress.normalise(rawMAC) else {
            throw SpecError(r.field("mac"), "\"\(rawMAC)\" is not a MAC address (six hex pairs joined by ':')")
        }
        if let reason = MACAddress.unicastProblem(mac) { throw SpecError(r.field("mac"), reason) }
        let ip = try r.string("ip").flatMap { $0.isEmpty ? nil : $0 }
        if let ip, !Syntax.isIP(ip) { throw SpecError(r.field("ip"), "\"\(ip)\" is not an IP address") }
        let uuid = try r.string("uuid") ?? ""
        if !uuid.isEmpty, !UUIDText.isValid(uuid) { throw SpecError(r.field("uuid"), "\"\(uuid)\" is not a UUID") }
        var nic = NICSpec(
            mac: mac, ip: ip, uuid: uuid, name: try r.string("name"), mode: "bridged", link: nil, vlan: nil,
            network: try r.string("network"))
        if let info = r.value("netinfo") {
            nic.netinfo = try NetworkInfo.read(info, path: r.field("netinfo"))
        }
        if let params = r.value("nicparams") {
            var p = try FieldReader(params, path: r.field("nicparams"))
            nic.mode = try p.string("mode") ?? nic.mode
            guard NICSpec.modes.contains(nic.mode) else {
                throw SpecError(
                    p.field("mode"), "\"\(nic.mode)\" is not one of \(NICSpec.modes.joined(separator: ", "))")
            }
            nic.link = try p.string("link").flatMap { $0.isEmpty ? nil : $0 }
            nic.vlan = try p.string("vlan")
            if let vlan = nic.vlan {
                do {
                    _ = try VLAN.parse(vlan)
                } catch {
                    throw SpecError(p.field("vlan"), error.reason)
                }
            }
            if strictParams { try p.finish() }
        }
        return nic
    }
}

import LuaKit

/// `taphouse.ovs`: Open vSwitch ports, through `ovs-vsctl` (argv, with a timeout).
///
/// ```lua
/// local ovs = require "taphouse.ovs"
/// ovs.add_port(nic.LINK, nic.INTERFACE)
/// ovs.set_port(nic.INTERFACE, { tag = 100, trunks = { 200, 300 } })
/// ```
public enum OVSModule {
    public static let name = "taphouse.ovs"

    public static func module(_ context: HookContext) -> LuaModule {
        func host(_ args: LuaArguments) throws -> HookHost { try context.requireHost(args.functionName) }
        return LuaModule(
            name: name,
            functions: [
                "port": { args in
                    guard let port = try host(args).ovsPort(try args.string(1)) else { return [.nil] }
                    var fields: [LuaKey: LuaValue] = [
                        "name": .string(port.name), "bridge": .string(port.bridge),
                        "trunks": .array(port.trunks.map { .integer(Int64($0)) }),
                    ]
                    if let tag = port.tag { fields["tag"] = .integer(Int64(tag)) }
                    return [.map(fields)]
                },
                "add_port": { args in
                    try host(args).addOVSPort(bridge: try args.string(1), port: try args.string(2))
                    return []
                },
                "del_port": { args in
                    try host(args).deleteOVSPort(try args.string(1))
                    return []
                },
                "set_port": { args in
                    let options = try args.table(2)
                    let trunks = try (options["trunks"].arrayValue ?? []).map { value in
                        guard let vid = value.integerValue, (1...4094).contains(vid) else {
                            throw args.badArgument(2, "trunks must be VLAN ids (1-4094)")
                        }
                        return Int(vid)
                    }
                    let tag = options["tag"].integerValue.map { Int($0) }
                    if let tag, !(1...4094).contains(tag) {
                        throw args.badArgument(2, "tag must be a VLAN id (1-4094)")
                    }
                    try host(args).setOVSPort(try args.string(1), tag: tag, trunks: trunks)
                    return []
                },
            ])
    }
}

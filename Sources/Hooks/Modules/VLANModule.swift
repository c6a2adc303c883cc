import LuaKit
import QEMU

/// `taphouse.vlan`: Ganeti's VLAN notation. `parse(".100:200")` returns
/// `{ access = 100, trunks = { 200 } }`; `parse("")` returns nil; anything else is an error.
public enum VLANModule {
    public static let name = "taphouse.vlan"

    public static func module() -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "parse": { (args: LuaArguments) throws -> [LuaValue] in
                    let text = try args.string(1)
                    let parsed: VLAN?
                    do {
                        parsed = try VLAN.parse(text)
                    } catch {
                        throw LuaArgumentError(message: (error as? SpecError)?.reason ?? "\(error)")
                    }
                    guard let vlan = parsed else { return [.nil] }
                    var fields: [LuaKey: LuaValue] = ["trunks": .array(vlan.trunks.map { .integer(Int64($0)) })]
                    if let access = vlan.access { fields["access"] = .integer(Int64(access)) }
                    return [.map(fields)]
                }
            ])
    }
}

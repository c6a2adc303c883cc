import LuaKit

/// `taphouse.sysctl`: sysctls under `/proc/sys/net`, by path (`net/ipv4/conf/tap0/proxy_arp`).
/// `get` returns the value as a string, or nil when the sysctl does not exist; `set` is journaled.
public enum SysctlModule {
    public static let name = "taphouse.sysctl"

    public static func module(_ context: HookContext) -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "get": { args in
                    [
                        try context.requireHost(args.functionName).sysctl(try args.string(1)).map(
                            LuaValue.string) ?? .nil
                    ]
                },
                "set": { args in
                    let value: String
                    switch try args[2] {
                    case .string(let s): value = s
                    case .integer(let i): value = String(i)
                    default: throw args.badArgument(2, "string or integer expected, got \(args.typeName(2))")
                    }
                    try context.requireHost(args.functionName).setSysctl(try args.string(1), value)
                    return []
                },
            ])
    }
}

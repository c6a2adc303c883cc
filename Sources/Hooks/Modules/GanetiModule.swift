import LuaKit

#if canImport(Glibc)
import Glibc
#endif

/// `taphouse.ganeti.native`: runs a Ganeti-style network script (`network/<mode>/up`, the old
/// `kvm-vif-bridge`) with exactly the environment Ganeti gives it, as an argv (`script TAP`),
/// with a timeout, so a site can keep its scripts while it ports them to Lua. The Lua module
/// `taphouse.ganeti` wraps it into hook tables.
public enum GanetiModule {
    public static let name = "taphouse.ganeti.native"

    public static func module(_ context: HookContext) -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "executable": { args in
                    let path = try args.string(1)
                    guard path.hasPrefix("/") else { throw args.badArgument(1, "the script must be an absolute path") }
                    guard access(path, X_OK) == 0 else {
                        throw LuaArgumentError(
                            message: "\(path): \(access(path, F_OK) == 0 ? "not executable" : "no such script")")
                    }
                    return []
                },
                "run": { args in
                    let script = try args.string(1)
                    guard script.hasPrefix("/") else {
                        throw args.badArgument(1, "the script must be an absolute path")
                    }
                    let nic = try args.table(2)
                    let options = try ExecModule.optionsTable(
                        args, 3, allowed: ["timeout_ms": "an integer", "detach": "a boolean"])
                    let milliseconds = options["timeout_ms"]?.integerValue ?? 30000
                    guard (1...300_000).contains(milliseconds) else {
                        throw args.badArgument(3, "timeout_ms must be 1-300000")
                    }
                    guard let interface = nic["INTERFACE"].stringValue else {
                        throw args.badArgument(2, "nic.INTERFACE is missing")
                    }
                    let host = try context.requireHost(args.functionName)
                    // A script that starts a helper on purpose (a routing daemon's session) says
                    // so with detach; otherwise what it leaves running is killed.
                    let request = ExecRequest(
                        argv: [script, interface],
                        timeout: ExecModule.clamped(.milliseconds(milliseconds), args), environment: environment(nic),
                        detach: options["detach"]?.boolValue ?? false)
                    guard let output = try args.outsideBudget(script, { try host.exec(request) }) else { return [] }
                    guard output.status == 0 else {
                        let text = (output.standardOutput + output.standardError).split(separator: "\n").suffix(5)
                            .joined(separator: " | ")
                        throw LuaArgumentError(
                            message: "\(script) \(interface) exited with status \(output.status): \(text)")
                    }
                    return [.string(output.standardOutput)]
                },
            ])
    }

    /// Ganeti's script environment (reference D.3) from a hook's `nic` table.
    static func environment(_ nic: LuaValue) -> [String] {
        var env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        for key in [
            "INSTANCE", "MAC", "MODE", "INTERFACE", "INTERFACE_UUID", "INTERFACE_NAME", "ACTION", "IP", "LINK",
            "BRIDGE", "VLAN", "MIGRATION_PHASE",
        ] {
            if let value = nic[.string(key)].stringValue { env.append("\(key)=\(value)") }
        }
        if let index = nic["INTERFACE_INDEX"].integerValue { env.append("INTERFACE_INDEX=\(index)") }
        let tags = (nic["TAGS"].arrayValue ?? []).compactMap(\.stringValue)
        env.append("TAGS=\(tags.joined(separator: " "))")
        // Ganeti's Network.HooksDict(): name, uuid and tags (space-joined) whenever the NIC has a
        // network, the subnets, gateways and MAC prefix only when set.
        if let network = nic["NETWORK"].mapValue {
            env.append("NETWORK_NAME=\(network["NAME"]?.stringValue ?? "")")
            env.append("NETWORK_UUID=\(network["UUID"]?.stringValue ?? "")")
            let tags = (network["TAGS"]?.arrayValue ?? []).compactMap(\.stringValue)
            env.append("NETWORK_TAGS=\(tags.joined(separator: " "))")
            for key in ["SUBNET", "GATEWAY", "SUBNET6", "GATEWAY6", "MAC_PREFIX"] {
                if let text = network[.string(key)]?.stringValue, !text.isEmpty { env.append("NETWORK_\(key)=\(text)") }
            }
        }
        return env
    }
}

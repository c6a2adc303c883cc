import LuaKit

/// `taphouse.exec`: runs a program for what the API lacks. An argv (the program an absolute
/// path), never a shell string; a timeout (default 5 s, at most 60 s); output captured.
///
/// ```lua
/// local r = require("taphouse.exec").run({ "/usr/sbin/tc", "qdisc", "show", "dev", nic.INTERFACE },
///                                        { timeout_ms = 2000 })
/// if r.status ~= 0 then error("tc failed: " .. r.stderr) end
/// ```
/// The call is journaled for the record; `down` cannot undo it.
public enum ExecModule {
    public static let name = "taphouse.exec"

    public static func module(_ context: HookContext) -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "run": { args in
                    let argvValue = try args.table(1)
                    guard let elements = argvValue.arrayValue, !elements.isEmpty else {
                        throw args.badArgument(1, "a non-empty argv array expected")
                    }
                    let argv = try elements.map { element in
                        guard let s = element.stringValue else {
                            throw args.badArgument(1, "argv elements must be strings")
                        }
                        return s
                    }
                    guard argv[0].hasPrefix("/") else { throw args.badArgument(1, "argv[1] must be an absolute path") }
                    let milliseconds = try args.optionalTable(2)?["timeout_ms"].integerValue ?? 5000
                    guard (1...60000).contains(milliseconds) else {
                        throw args.badArgument(2, "timeout_ms must be 1-60000")
                    }
                    guard
                        let output = try context.requireHost(args.functionName).exec(
                            argv, timeout: .milliseconds(milliseconds))
                    else { return [["status": 0, "stdout": "", "stderr": "", "dry_run": true]] }
                    return [
                        [
                            "status": .integer(Int64(output.status)), "stdout": .string(output.standardOutput),
                            "stderr": .string(output.standardError),
                        ]
                    ]
                }
            ])
    }
}

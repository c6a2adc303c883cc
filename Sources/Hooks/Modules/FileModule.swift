import HostNet
import LuaKit

/// `taphouse.file`: whole-file writes under folders the node allows (`--hook-file-dir`), for
/// what a daemon reads from a file (a bird peer snippet), journaled so undo puts back what was
/// there or removes what was not:
///
/// ```lua
/// file.write("/etc/bird/peers/" .. nic.INTERFACE .. ".conf", text, "0640",
///            { reload = { "/usr/sbin/birdc", "configure" } })
/// ```
///
/// `reload` is the command that makes the file's reader take it: run after the write, and
/// again after undo put the file back or removed it.
public enum FileModule {
    public static let name = "taphouse.file"

    public static func module(_ context: HookContext) -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "write": { args in
                    let path = try args.string(1)
                    let bytes: [UInt8] =
                        switch try args[2] {
                        case .string(let text): Array(text.utf8)
                        case .bytes(let bytes): bytes
                        default:
                            throw args.badArgument(2, "the file's text (a string) expected, got \(args.typeName(2))")
                        }
                    let mode = try mode(args, 3)
                    let options = try ExecModule.optionsTable(
                        args, 4,
                        allowed: [
                            "reload": "an argv (a list of strings)", "timeout_ms": "an integer", "link": "a link name",
                        ])
                    let reload = try options["reload"].map { value in
                        let milliseconds = options["timeout_ms"]?.integerValue ?? 5000
                        guard (1...300_000).contains(milliseconds) else {
                            throw args.badArgument(4, "timeout_ms must be 1-300000")
                        }
                        return ExecRequest(
                            argv: try ExecModule.argv(value, args, 4, "reload"),
                            timeout: ExecModule.clamped(.milliseconds(milliseconds), args))
                    }
                    let host = try context.requireHost(args.functionName)
                    _ = try args.outsideBudget(reload?.argv[0] ?? "file.write") {
                        try host.writeFile(path, bytes, mode: mode, reload: reload, link: options["link"]?.stringValue)
                    }
                    return []
                }
            ])
    }

    /// The permission bits: an integer (`tonumber("640", 8)`), or octal digits as a string
    /// (`"0640"`, since Lua has no octal literals); 0644 when left out.
    static func mode(_ args: LuaArguments, _ position: Int) throws -> Int {
        let mode: Int?
        switch try args[position] {
        case .nil: mode = 0o644
        case .integer(let value): mode = Int(exactly: value)
        case .string(let text) where !text.isEmpty && text.utf8.allSatisfy({ (0x30...0x37).contains($0) }):
            mode = Int(text, radix: 8)
        default: mode = nil
        }
        guard let mode, (0...0o7777).contains(mode) else {
            throw args.badArgument(
                position, "mode must be permission bits: an integer up to 0o7777, or octal digits (\"0644\")")
        }
        guard mode & 0o6000 == 0 else { throw args.badArgument(position, "mode must not set setuid or setgid") }
        return mode
    }
}

import HostNet
import LuaKit

/// `taphouse.exec`: runs a program for what the API lacks. An argv (the program an absolute
/// path), never a shell string; a timeout; output captured.
///
/// ```lua
/// local exec = require "taphouse.exec"
/// exec.run({ "/usr/sbin/nft", "-f", "-" }, {
///   stdin = "add element inet filter routed { " .. nic.INTERFACE .. " }\n",
///   undo = { "/usr/sbin/nft", "-f", "-" },
///   undo_stdin = "delete element inet filter routed { " .. nic.INTERFACE .. " }\n",
///   link = nic.INTERFACE,
/// })
/// ```
/// With `undo`, the journal keeps the command that undoes this one, and undo runs it like any
/// other change (a failed `up`, `down`, a stale journal). The command runs in a process group of
/// its own; the call returns when it exits, and what it left running is killed (unless `detach`)
/// and reported. Its wait counts against its own timeout, not the hook's Lua budget.
public enum ExecModule {
    public static let name = "taphouse.exec"

    /// The options `run` takes, and what each must be.
    static let options: [String: String] = [
        "timeout_ms": "an integer", "stdin": "a string", "undo": "an argv (a list of strings)",
        "undo_stdin": "a string", "link": "a link name", "detach": "a boolean",
    ]

    public static func module(_ context: HookContext) -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "run": { args in
                    let argv = try argvArgument(args, 1, "argv")
                    let options = try optionsTable(args, 2, allowed: options)
                    let milliseconds = options["timeout_ms"]?.integerValue ?? 5000
                    guard (1...300_000).contains(milliseconds) else {
                        throw args.badArgument(2, "timeout_ms must be 1-300000")
                    }
                    var undo: [String]?
                    if let value = options["undo"] { undo = try Self.argv(value, args, 2, "undo") }
                    let request = ExecRequest(
                        argv: argv, timeout: clamped(.milliseconds(milliseconds), args),
                        input: options["stdin"]?.stringValue, detach: options["detach"]?.boolValue ?? false)
                    let host = try context.requireHost(args.functionName)
                    let run = {
                        try host.exec(
                            request, undo: undo, undoInput: options["undo_stdin"]?.stringValue,
                            link: options["link"]?.stringValue)
                    }
                    // A timeout the call's ceiling cut short says so when it passes.
                    let cut = args.ceilingLeft.map { $0 < .milliseconds(milliseconds) } ?? false
                    let output: CommandRunner.Output?
                    do {
                        output = try args.outsideBudget(argv[0], run)
                    } catch var error as HostNetError where cut && error.code == .command {
                        error.detail =
                            (error.detail ?? "") + " (its timeout_ms was cut to what was left of the call's ceiling)"
                        throw error
                    }
                    guard let output else {
                        return [["status": 0, "stdout": "", "stderr": "", "dry_run": true]]
                    }
                    return [result(output)]
                }
            ])
    }

    /// The table a run returns: status, stdout, stderr, and what the command left running.
    static func result(_ output: CommandRunner.Output) -> LuaValue {
        var fields: [LuaKey: LuaValue] = [
            "status": .integer(Int64(output.status)), "stdout": .string(output.standardOutput),
            "stderr": .string(output.standardError),
        ]
        if !output.leftRunning.isEmpty {
            fields["left_running"] = .array(output.leftRunning.map(LuaValue.string))
            fields["left_running_killed"] = .boolean(output.leftRunningKilled)
        }
        return .map(fields)
    }

    /// A command's timeout, cut to what is left of the call's ceiling.
    static func clamped(_ timeout: Duration, _ args: LuaArguments) -> Duration {
        guard let left = args.ceilingLeft else { return timeout }
        return max(.milliseconds(1), min(timeout, left))
    }

    /// Argument `position`: an argv (a non-empty list of strings, the program an absolute path).
    static func argvArgument(_ args: LuaArguments, _ position: Int, _ what: String) throws -> [String] {
        try argv(try args.table(position), args, position, what)
    }

    static func argv(_ value: LuaValue, _ args: LuaArguments, _ position: Int, _ what: String) throws -> [String] {
        guard let elements = value.arrayValue, !elements.isEmpty else {
            throw args.badArgument(position, "\(what): a non-empty argv list expected")
        }
        let argv = try elements.map { element in
            guard let s = element.stringValue else {
                throw args.badArgument(position, "\(what): elements must be strings")
            }
            return s
        }
        guard argv[0].hasPrefix("/") else {
            throw args.badArgument(position, "\(what): the program must be an absolute path, not \(argv[0])")
        }
        return argv
    }

    /// Argument `position`: an optional table of options, each a known one of the right type.
    static func optionsTable(
        _ args: LuaArguments, _ position: Int, allowed: [String: String]
    ) throws -> [String: LuaValue] {
        guard let table = try args.optionalTable(position) else { return [:] }
        guard case .map(let fields) = table else {
            if table.arrayValue?.isEmpty == false { throw args.badArgument(position, "options must be named") }
            return [:]
        }
        var options: [String: LuaValue] = [:]
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            let name = key.description
            guard let type = allowed[name] else {
                throw args.badArgument(
                    position,
                    "unknown option '\(name)' (\(args.functionName) takes \(allowed.keys.sorted().joined(separator: ", ")))"
                )
            }
            // The type named in `allowed` says what the value must be.
            let fits: Bool =
                switch value {
                case .integer: type == "an integer"
                case .string: type.hasPrefix("a string") || type == "a link name"
                case .boolean: type == "a boolean"
                case .array: type.hasPrefix("an argv")
                default: false
                }
            guard fits else {
                throw args.badArgument(position, "option '\(name)' must be \(type), not \(value.typeName)")
            }
            options[name] = value
        }
        return options
    }
}

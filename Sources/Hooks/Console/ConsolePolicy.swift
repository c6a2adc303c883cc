import Logging
import LuaKit
import QEMU

/// Runs the console policy hook (design 4.6): `console.lua` of the site's hooks directory, else
/// the built-in one, returns `{ console = function(instance, default) ... end }`; taphouse
/// hands it the instance (read-only) and the natively computed description, and takes back a
/// description only if it is a valid one.
///
/// The hook runs in the hook sandbox with the hook budgets, like a network hook, but outside any
/// NIC's call: the `taphouse.*` functions that touch the host refuse. One warm Lua state serves
/// every call; a changed hook file is compiled anew.
public final class ConsolePolicy {
    /// The hook's file name, in the built-in hooks and in the site's hooks directory.
    public static let fileName = "console.lua"
    /// The function the hook's table must have.
    public static let functionName = "console"

    /// Where the hook is looked for.
    public let directories: HookDirectories
    private let sandbox: HookSandbox
    private var state: LuaState?

    /// Creates a policy runner; `limits` are the hook budgets (the network hooks' by default).
    public init(directories: HookDirectories, limits: LuaLimits = HookSandbox.defaultLimits, logger: Logger) {
        self.directories = directories
        sandbox = HookSandbox(limits: limits, moduleRoots: directories.moduleRoots, logger: logger)
    }

    /// The hook file that serves, and whether it is the built-in one.
    public func hookFile() throws(HookError) -> (path: String, builtin: Bool) {
        guard let found = directories.hookFile(Self.fileName) else {
            throw HookError(.missingHook, "no console hook (looked for \(directories.builtin)/\(Self.fileName))")
        }
        return found
    }

    /// The description the hook returns for `instance`, given the native one as `default`.
    ///
    /// Throws a ``HookError`` naming the instance and the hook's `file:line` when the hook fails
    /// (an error, a spent budget, a write to `instance`) or returns something other than a valid
    /// description: then the line is where the `console` function is defined, and the message
    /// names the field (`console returned a bad description: port: 0 is not a port (1-65535)`).
    public func apply(
        instance: ConsoleInstanceView, default native: ConsoleDescription
    ) throws(HookError)
        -> ConsoleDescription
    {
        try apply(ConsoleHookCall(instance, native: native))
    }

    /// ``apply(instance:default:)`` for a call as a worker receives it.
    public func apply(_ call: ConsoleHookCall) throws(HookError) -> ConsoleDescription {
        var path: String
        do {
            path = try hookFile().path
        } catch {
            var named = error
            named.instance = call.instance
            throw named
        }
        let result: LuaCallResult
        do {
            let state = try warmState()
            result = try state.callFunction(
                state.load(file: path), Self.functionName,
                arguments: [call.table, LuaValue(json: call.native)], readOnly: [0: "instance"],
                opaque: .describe)
        } catch {
            throw HookError(error, instance: call.instance)
        }
        path = result.file ?? path
        func refusal(_ message: String) -> HookError {
            HookError(.badHook, message, instance: call.instance, hookFile: path, line: result.line)
        }
        let returned = result.values.first ?? .nil
        guard returned.mapValue != nil || returned.arrayValue != nil else {
            throw refusal("console returned \(returned.typeName), not a console description table")
        }
        do {
            return try ConsoleDescription.parse(JSONValue(lua: returned, path: ""))
        } catch {
            throw refusal("console returned a bad description: \(error)")
        }
    }

    /// What is wrong with a console hook file, as one line naming it, or `nil`: it must load in
    /// the sandbox and return a table with a `console` function (for `taphouse hooks check`).
    public static func check(_ file: String, sandbox: HookSandbox) -> String? {
        do {
            let state = try sandbox.makeState()
            let returned = try state.call(state.load(file: file), opaque: .describe)
            guard case .map(let table) = returned.first ?? .nil else {
                return "\(file): returns \(returned.first?.typeName ?? "nothing"), not a table with a console function"
            }
            guard table[.string(functionName)] == .opaque("function") else {
                return "\(file): the returned table has no console function"
            }
            return nil
        } catch {
            return error.description
        }
    }

    private func warmState() throws(LuaError) -> LuaState {
        if let state { return state }
        let made = try sandbox.makeState()
        state = made
        return made
    }
}

import Foundation
import Logging
import LuaKit

/// `taphouse hooks check`'s checks of one file: it loads in the sandbox and returns what its
/// kind of hook must. Each answer is one line naming the file, or nil for a good file.
public enum HookChecks {
    /// A network hook: named after a mode, returns a table with an `up` function (and `down`,
    /// if there, a function).
    public static func network(_ file: String, sandbox: HookSandbox) -> String? {
        let mode = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        guard HookModes.isValid(mode) else {
            return "\(file): \(mode) is not a NIC mode (\(HookModes.all.joined(separator: ", ")))"
        }
        do {
            let state = try sandbox.makeState()
            let returned = try state.call(state.load(file: file), opaque: .describe)
            guard case .map(let table) = returned.first ?? .nil else {
                return "\(file): returns \(returned.first?.typeName ?? "nothing"), not a table with up and down"
            }
            guard table["up"] == .opaque("function") else { return "\(file): the returned table has no up function" }
            if let down = table["down"], down != .opaque("function") {
                return "\(file): down is a \(down.typeName), not a function"
            }
            return nil
        } catch {
            return error.description
        }
    }

    /// `file` checked as what it is (a lifecycle hook when it is named `instance.lua`, a console
    /// policy with `console`, else a network hook), in a sandbox of `setup`'s budgets and module
    /// folders.
    public static func file(_ file: String, console: Bool, setup: HookWorkerSetup, logger: Logger) -> String? {
        let sandbox = HookSandbox(limits: setup.limits, moduleRoots: setup.directories.moduleRoots, logger: logger)
        if (file as NSString).lastPathComponent == LifecycleHookRunner.fileName {
            return lifecycle(file, sandbox: sandbox)
        }
        return console ? Self.console(file, sandbox: sandbox) : network(file, sandbox: sandbox)
    }

    /// A lifecycle hook: returns a table whose every member is a function named after an event
    /// (a misspelt one would never be called, so it is refused).
    public static func lifecycle(_ file: String, sandbox: HookSandbox) -> String? {
        do {
            let state = try sandbox.makeState()
            let returned = try state.call(state.load(file: file), opaque: .describe)
            guard case .map(let table) = returned.first ?? .nil else {
                if returned.first?.arrayValue?.isEmpty == true { return nil }  // `return {}`
                return "\(file): returns \(returned.first?.typeName ?? "nothing"), not a table of lifecycle functions"
            }
            let events = LifecycleEvent.allCases.map(\.rawValue)
            for (key, value) in table.sorted(by: { $0.key < $1.key }) {
                guard case .string(let name) = key, events.contains(name) else {
                    return "\(file): \(key) is not a lifecycle event (\(events.joined(separator: ", ")))"
                }
                guard value == .opaque("function") else {
                    return "\(file): \(name) is a \(value.typeName), not a function"
                }
            }
            return nil
        } catch {
            return error.description
        }
    }

    /// A console policy hook (``ConsolePolicy/check(_:sandbox:)``).
    public static func console(_ file: String, sandbox: HookSandbox) -> String? {
        ConsolePolicy.check(file, sandbox: sandbox)
    }
}

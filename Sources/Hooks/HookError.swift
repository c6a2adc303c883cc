import LuaKit

/// A hook that failed, or the machinery around it: which instance, which NIC (none for the
/// console policy), which hook file and line, and what happened (plus what undoing it could not
/// put back).
///
/// `description` reads `instance web1, NIC 0: hooks/network/bridged.lua:31: bridge br9 has no
/// vlan_filtering`.
public struct HookError: Error, Sendable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// The hook's Lua code failed (an error, a timeout, a spent memory budget).
        case hook
        /// A host operation the hook asked for failed.
        case host
        /// No hook serves the NIC's mode (an `ext` NIC without a site hook).
        case missingHook
        /// The hook file does not return what the hook must (a network hook's `up`, a console
        /// hook's `console`), or its function returned something taphouse refuses.
        case badHook
        /// The journal could not be written or read.
        case journal
        /// The worker process running the hook was killed at the call's deadline, or died (a
        /// crash, its memory limit): what the hook changed was undone from its journal.
        case worker
    }

    public var code: Code
    public var message: String
    public var instance: String?
    public var nicIndex: Int?
    public var hookFile: String?
    public var line: Int?
    public var traceback: String?
    /// What undoing the NIC's journal could not put back, one line each.
    public var undoFailures: [String] = []

    public init(
        _ code: Code, _ message: String, instance: String? = nil, nicIndex: Int? = nil, hookFile: String? = nil,
        line: Int? = nil, traceback: String? = nil
    ) {
        self.code = code
        self.message = message
        self.instance = instance
        self.nicIndex = nicIndex
        self.hookFile = hookFile
        self.line = line
        self.traceback = traceback
    }

    public var description: String {
        var parts: [String] = []
        if let instance { parts.append("instance \(instance)") }
        if let nicIndex { parts.append("NIC \(nicIndex)") }
        var text = parts.isEmpty ? "" : parts.joined(separator: ", ") + ": "
        if let hookFile { text += line.map { "\(hookFile):\($0): " } ?? "\(hookFile): " }
        text += message
        if !undoFailures.isEmpty { text += " (undo left: \(undoFailures.joined(separator: "; ")))" }
        return text
    }
}

extension HookError {
    /// A hook's Lua failure, with its file, line and traceback: `.badHook` when the file does
    /// not return the function asked for, `.hook` for everything else.
    init(_ error: LuaError, instance: String?, nicIndex: Int? = nil) {
        self.init(
            error.code == .missingFunction ? .badHook : .hook, error.message, instance: instance, nicIndex: nicIndex,
            hookFile: error.file, line: error.line, traceback: error.traceback)
    }
}

import HostNet
import LuaKit

/// One line of what a hook call did (or, in a dry run, would do), as `hooks run` prints it: a
/// host call in the notation of ``HostCall``, and what kind of line it is.
public struct HookCallLine: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A call the hook made.
        case call
        /// A call the hook made that is recorded but never undone (an `exec` without an undo).
        case neverUndone
        /// A call the journal's undo made (at `down`, or after a failed `up`).
        case undo
        /// A change the undo left as it is, and why (its link is gone, or another NIC's now).
        case notUndone
    }

    public var call: String
    public var kind: Kind
    /// Why a change was not undone.
    public var reason: String?

    public init(call: String, kind: Kind, reason: String? = nil) {
        self.call = call
        self.kind = kind
        self.reason = reason
    }

    /// A change the hook asked for.
    init(change entry: JournalEntry) {
        self.init(call: entry.call?.description ?? entry.summary, kind: entry.isNeverUndone ? .neverUndone : .call)
    }

    /// The line as `hooks run` prints it: the call, with a `#` note for what is not a plain call.
    public var description: String {
        switch kind {
        case .call: call
        case .neverUndone: "\(call)  # never undone"
        case .undo: "\(call)  # undo"
        case .notUndone: "# not undone: \(call)" + (reason.map { " (\($0))" } ?? "")
        }
    }

    /// The line as a hook spec's `calls` list takes it (`hooks run --calls`): a quoted call and
    /// a comma, notes as Lua comments; a change left as it was is a comment only.
    public var specLine: String {
        let quoted = LuaQuoting.string(call) + ","
        return switch kind {
        case .call: quoted
        case .neverUndone: quoted + " -- never undone"
        case .undo: quoted + " -- undo"
        case .notUndone: "-- not undone: \(call)" + (reason.map { " (\($0))" } ?? "")
        }
    }
}

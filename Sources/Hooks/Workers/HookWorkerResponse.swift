import LuaKit
import QEMU

/// A hook worker's answer to a ``HookWorkerRequest``.
public enum HookWorkerResponse: Sendable, Codable {
    /// A NIC call's host changes (made, or with a dry run, that would be made).
    case calls([HookCallLine])
    /// A hook that failed (its error, with what its undo could not put back).
    case failed(HookError)
    /// The console policy's description.
    case console(JSONValue)
    /// A check: nil for a good file, else one line naming it.
    case checked(String?)
    /// A spec file's cases, or why it does not load.
    case specCases([HookSpecCase])
    case specLoadFailed(LuaError)
    /// How a spec case ended.
    case specOutcome(HookSpecOutcome)
    /// What `hooks eval` gave.
    case evaluated(HookEvaluation.Result)
    /// The answer to a ping.
    case pong
    /// Not an answer but a note before it: the worker starts waiting on a command that may take
    /// this long (or goes back to Lua code with this much budget), so the node waits that much
    /// longer, up to the call's ceiling.
    case extend(milliseconds: Int)
    /// The worker could not take the request (it did not decode): a bug, not the hook's.
    case refused(String)
}

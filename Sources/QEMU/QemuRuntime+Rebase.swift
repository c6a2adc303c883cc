import Foundation

extension QemuRuntime {
    /// The same runtime with the state directory `from` replaced by `to` wherever the argv
    /// names it (pid file, QMP, serial and agent sockets): a migration target runs the source's
    /// argv with its own node's paths. An argument names the folder when it is the folder, starts
    /// with it and a `/`, or holds it after a `unix:` or `path=`.
    public func rebased(from: String, to: String) -> QemuRuntime {
        guard from != to, !from.isEmpty else { return self }
        var copy = self
        copy.argv = argv.map { argument in
            if argument == from { return to }
            if argument.hasPrefix(from + "/") { return to + argument.dropFirst(from.count) }
            var rebased = argument
            for marker in ["unix:", "path=", "file:"] {
                rebased = rebased.replacingOccurrences(of: marker + from + "/", with: marker + to + "/")
            }
            return rebased
        }
        return copy
    }
}

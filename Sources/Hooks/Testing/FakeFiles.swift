import HostNet

/// Files in memory for hook specs: the folders a spec's node allows (`host.file_dirs`) and the
/// files there (`host.files`); writes and removals go to the node's call log.
final class FakeFiles: HookFiles, @unchecked Sendable {
    var roots: [String]
    var files: [String: FileContents] = [:]
    let log: FakeCallLog

    init(roots: [String], log: FakeCallLog) {
        self.roots = roots
        self.log = log
    }

    func check(_ path: String, _ operation: String) throws(HostNetError) {
        guard !roots.isEmpty else {
            throw HostNetError(
                .invalid, operation, detail: "the node allows hooks no file writes (the spec's host.file_dirs)")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix("/"), !parts.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else {
            throw HostNetError(.invalid, operation, detail: "\(path) is not an absolute path without ., .. or //")
        }
        guard roots.contains(where: { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            throw HostNetError(
                .invalid, operation,
                detail: "\(path) is not under a folder the node allows (\(roots.joined(separator: ", ")))")
        }
    }

    func read(_ path: String, _ operation: String) throws(HostNetError) -> FileContents? { files[path] }

    func write(_ path: String, _ bytes: [UInt8], mode: Int, _ operation: String) throws(HostNetError) {
        log.record(HostCall.fileWrite(path, mode: mode).description)
        files[path] = FileContents(bytes: bytes, mode: mode)
    }

    func remove(_ path: String, _ operation: String) throws(HostNetError) {
        guard files[path] != nil else { throw HostNetError(.notFound, operation, detail: "no such file") }
        log.record(HostCall.fileRemove(path).description)
        files[path] = nil
    }
}

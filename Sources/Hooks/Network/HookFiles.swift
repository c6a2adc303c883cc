import HostNet

/// The files `taphouse.file.write` may change: under folders the node allows on a node
/// (``ConfinedFiles``), in memory in hook specs (``FakeFiles``).
public protocol HookFiles: Sendable {
    /// Refuses a path a hook may not write, naming why.
    func check(_ path: String, _ operation: String) throws(HostNetError)
    /// What the file holds, nil when it does not exist.
    func read(_ path: String, _ operation: String) throws(HostNetError) -> FileContents?
    /// Replaces the file whole.
    func write(_ path: String, _ bytes: [UInt8], mode: Int, _ operation: String) throws(HostNetError)
    /// Removes the file; one that is not there is `.notFound`.
    func remove(_ path: String, _ operation: String) throws(HostNetError)
}

/// What a file holds, and its permission bits.
public struct FileContents: Sendable, Hashable {
    public var bytes: [UInt8]
    public var mode: Int

    public init(bytes: [UInt8], mode: Int) {
        self.bytes = bytes
        self.mode = mode
    }
}

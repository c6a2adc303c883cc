import Foundation

/// A temporary folder for test files, removed when the value is released.
public final class TemporaryFolder: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates an empty folder under the system's temporary directory.
    public init() {
        path = NSTemporaryDirectory() + "taphouse-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `relative` (creating folders) and returns the full path.
    @discardableResult
    public func write(_ relative: String, _ contents: String) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! contents.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

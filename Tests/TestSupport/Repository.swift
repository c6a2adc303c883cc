import Foundation

/// The source tree the tests run from (for the built-in hooks and the Lua library).
public enum Repository {
    public static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

import CLinux
import Foundation

/// Facts about the file systems node state lives on.
public enum FileSystem {
    /// Whether `path` (or the nearest existing folder above it) is on tmpfs, where fsync does
    /// nothing a write does not.
    public static func isTmpfs(_ path: String) -> Bool {
        var candidate = path
        while access(candidate, F_OK) != 0, candidate != "/", !candidate.isEmpty {
            candidate = (candidate as NSString).deletingLastPathComponent
        }
        return clinux_fs_type(candidate) == CLINUX_TMPFS_MAGIC
    }
}

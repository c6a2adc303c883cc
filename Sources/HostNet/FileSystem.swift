import CLinux
import Foundation
import SystemPackage

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

    /// The whole file at `path`, or nil when there is none (a hot path's read: one open, one
    /// fstat, as few reads as the size asks; FileManager's costs several times that).
    public static func contents(_ path: String) throws(Errno) -> [UInt8]? {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
        } catch let error as Errno {
            if error == .noSuchFileOrDirectory { return nil }
            throw error
        } catch {
            throw Errno.ioError
        }
        defer { try? fd.close() }
        var info = stat()
        var size = 4096
        if fstat(fd.rawValue, &info) == 0, info.st_size > 0 { size = Int(info.st_size) + 1 }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: size)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) }
            } catch let error as Errno {
                throw error
            } catch {
                throw Errno.ioError
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }
}

import Foundation
import HostNet
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Whole-file writes a hook may make, under folders the node configures and nowhere else (a
/// routing daemon's per-tap snippet: `/etc/bird/peers/tap0.conf`). A write replaces the file
/// atomically (a reader sees the old file or the new one, never half of one), and what it
/// replaced is kept for undo.
public struct ConfinedFiles: HookFiles {
    /// The folders writes may go under (resolved, without symlinks).
    public let roots: [String]

    /// The most a file written or replaced may hold: a configuration snippet, not data.
    public static let maximumBytes = 1 << 20

    public init(roots: [String]) {
        self.roots = roots.map { Self.resolved($0) ?? $0 }
    }

    /// Refuses `path` unless it is an absolute, plain path (no `.`, `..` or empty parts) whose
    /// folder exists under one of ``roots``, and which is not a symlink or anything but a regular
    /// file where it exists.
    public func check(_ path: String, _ operation: String) throws(HostNetError) {
        guard !roots.isEmpty else {
            throw HostNetError(
                .invalid, operation,
                detail: "the node allows hooks no file writes (give it folders with --hook-file-dir)")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard path.hasPrefix("/"), parts.count > 1,
            !parts.dropFirst().contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
        else {
            throw HostNetError(.invalid, operation, detail: "\(path) is not an absolute path without ., .. or //")
        }
        let folder = (path as NSString).deletingLastPathComponent
        guard let real = Self.resolved(folder) else {
            throw HostNetError(.notFound, operation, detail: "no folder \(folder)")
        }
        guard roots.contains(where: { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            throw HostNetError(
                .invalid, operation,
                detail: "\(path) is not under a folder the node allows (\(roots.joined(separator: ", ")))")
        }
        var info = stat()
        if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            throw HostNetError(.invalid, operation, detail: "\(path) exists and is not a regular file")
        }
    }

    /// The file's bytes and mode, nil when it does not exist.
    public func read(_ path: String, _ operation: String) throws(HostNetError) -> FileContents? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw HostNetError(.kernel, operation, errno: Errno(rawValue: errno))
        }
        guard info.st_size <= Self.maximumBytes else {
            throw HostNetError(
                .invalid, operation,
                detail: "\(path) holds \(info.st_size) bytes, over \(Self.maximumBytes) to keep for undo")
        }
        do {
            guard let bytes = try FileSystem.contents(path) else { return nil }
            return FileContents(bytes: bytes, mode: Int(info.st_mode & 0o7777))
        } catch {
            throw HostNetError(.kernel, operation, errno: error)
        }
    }

    /// Replaces the file with `bytes` and `mode`: a new file beside it, synced, renamed over it,
    /// and the folder synced.
    public func write(_ path: String, _ bytes: [UInt8], mode: Int, _ operation: String) throws(HostNetError) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = "\(folder)/.\((path as NSString).lastPathComponent).taphouse-\(getpid())"
        do {
            let fd = try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .truncate, .closeOnExec, .noFollow],
                permissions: FilePermissions(rawValue: 0o600))
            do {
                try fd.closeAfter {
                    _ = try fd.writeAll(bytes)
                    guard fchmod(fd.rawValue, mode_t(mode)) == 0 else { throw Errno(rawValue: errno) }
                    guard fsync(fd.rawValue) == 0 else { throw Errno(rawValue: errno) }
                }
                guard rename(temporary, path) == 0 else { throw Errno(rawValue: errno) }
            } catch {
                unlink(temporary)
                throw error
            }
            Self.sync(folder)
        } catch let error as Errno {
            throw HostNetError(.kernel, operation, errno: error)
        } catch {
            throw HostNetError(.kernel, operation, detail: "\(error)")
        }
    }

    /// Removes the file; one that is not there is `.notFound`.
    public func remove(_ path: String, _ operation: String) throws(HostNetError) {
        guard unlink(path) == 0 else {
            let code = errno
            throw HostNetError(code == ENOENT ? .notFound : .kernel, operation, errno: Errno(rawValue: code))
        }
        Self.sync((path as NSString).deletingLastPathComponent)
    }

    private static func sync(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The path with every symlink resolved, nil when it does not exist.
    static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}

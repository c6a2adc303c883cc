import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Reads chunk files, and tells whether one changed since it was read (hook runners use it too,
/// to keep a hook's text while its file is unchanged).
public enum LuaSourceFile {
    /// Identity and version of a file: a change of any field means the cached chunk is stale.
    public struct Stamp: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: timespec

        init(_ stat: Stat) {
            device = UInt64(stat.deviceID.rawValue)
            inode = UInt64(stat.inode.rawValue)
            size = stat.size
            modified = stat.st_mtim
        }

        public static func == (a: Stamp, b: Stamp) -> Bool {
            a.device == b.device && a.inode == b.inode && a.size == b.size
                && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    /// Hook code is small; a larger file is a mistake (or an attack on the loader's memory).
    public static let maxSize = 16 << 20

    /// The file's stamp, or `nil` when there is no such file.
    public static func stamp(of path: String) throws(LuaError) -> Stamp? {
        do {
            let stat = try FilePath(path).stat()
            guard stat.type == .regular else {
                throw LuaError(.file, "cannot read: not a regular file", file: path)
            }
            return Stamp(stat)
        } catch let errno as Errno {
            if errno == .noSuchFileOrDirectory || errno == .notDirectory { return nil }
            throw LuaError(.file, "cannot read: \(errno)", file: path, errno: errno)
        } catch let error as LuaError {
            throw error
        } catch {
            preconditionFailure("stat throws only Errno")
        }
    }

    /// The whole file and the stamp of what was read.
    public static func read(_ path: String) throws(LuaError) -> (bytes: [UInt8], stamp: Stamp) {
        do {
            let fd = try FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec])
            return try fd.closeAfter {
                let stat = try fd.stat()
                guard stat.type == .regular else {
                    throw LuaError(.file, "cannot read: not a regular file", file: path)
                }
                guard stat.size <= maxSize else {
                    throw LuaError(.file, "cannot read: larger than \(maxSize >> 20) MiB", file: path)
                }
                var bytes: [UInt8] = []
                bytes.reserveCapacity(Int(stat.size))
                var chunk = [UInt8](repeating: 0, count: 64 << 10)
                while true {
                    let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
                    if n == 0 { break }
                    bytes.append(contentsOf: chunk[..<n])
                    guard bytes.count <= maxSize else {
                        throw LuaError(.file, "cannot read: larger than \(maxSize >> 20) MiB", file: path)
                    }
                }
                return (bytes, Stamp(stat))
            }
        } catch let errno as Errno {
            throw LuaError(.file, "cannot read: \(errno)", file: path, errno: errno)
        } catch let error as LuaError {
            throw error
        } catch {
            throw LuaError(.file, "cannot read: \(error)", file: path)
        }
    }
}

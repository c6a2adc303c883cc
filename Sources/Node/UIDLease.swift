import Foundation
import SystemPackage

/// A uid taken from the pool for one instance, as Ganeti's `uidpool` takes it: a lock file per
/// uid under `<state>/uid-pool/`, locked while choosing, and a uid is free only when its lock
/// can be taken and no process runs under it (checked through /proc). The file stays while the
/// instance lives ("taken"); releasing deletes it. The lock is held until ``unlock()``, once qemu
/// runs under the uid, so two starts never pick the same one.
final class UIDLease {
    let uid: UInt32
    let user: String
    private var descriptor: FileDescriptor?

    private init(uid: UInt32, user: String, descriptor: FileDescriptor) {
        self.uid = uid
        self.user = user
        self.descriptor = descriptor
    }

    /// Lets go of the lock; the file stays, marking the uid taken.
    func unlock() {
        try? descriptor?.close()
        descriptor = nil
    }

    deinit { unlock() }

    /// Takes an unused uid: never used ones first, then ones whose lock file a dead instance
    /// left, each group shuffled so two nodes' starts do not race for the same one.
    static func take(from pool: UIDPool, folder: String) throws(NodeError) -> UIDLease {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let taken = Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap(UInt32.init))
        let uids = pool.uids
        let running = runningUIDs()
        for uid in uids.filter({ !taken.contains($0) }).shuffled() + uids.filter(taken.contains).shuffled() {
            let path = "\(folder)/\(uid)"
            guard
                let fd = try? FileDescriptor.open(
                    FilePath(path), .readWrite, options: [.create, .closeOnExec], permissions: [.ownerReadWrite])
            else { continue }
            guard flock(fd.rawValue, LOCK_EX | LOCK_NB) == 0, !running.contains(uid) else {
                try? fd.close()
                continue
            }
            guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else {
                try? fd.close()
                throw NodeError(.file, "uid \(uid) of the uid pool has no user name (qemu runs as a named user)")
            }
            return UIDLease(uid: uid, user: String(cString: name), descriptor: fd)
        }
        throw NodeError(.file, "no unused uid in the uid pool (\(uids.count) uids, every one in use)")
    }

    /// Gives the uid back: its lock file goes.
    static func release(_ uid: UInt32, folder: String) { unlink("\(folder)/\(uid)") }

    /// The real uids of every process, from /proc.
    static func runningUIDs() -> Set<UInt32> {
        var uids: Set<UInt32> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            guard let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                let real = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first,
                let uid = UInt32(real)
            else { continue }
            uids.insert(uid)
        }
        return uids
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Which network namespace, in which boot of the kernel, a host acts on: the key under which a
/// link's index means one link and no other.
///
/// Link indexes are per namespace and the kernel hands them out in increasing order, so within
/// one namespace and one boot an index is never given to a second link (until it wraps after
/// 2^31 links). A journal that records a link's index together with this identity can tell the
/// link it changed from a later one that took the same name, in any namespace, after a reboot
/// (a state directory on disk outlives the links it describes) and after a namespace was
/// deleted and another made (whose inode may be reused, but whose cookie is not).
public enum NamespaceIdentity {
    /// This boot of the kernel (`/proc/sys/kernel/random/boot_id`), read once per process.
    public static let bootID: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// `boot/netns-cookie`, or `boot/ino:INODE` of the calling thread's namespace on kernels
    /// without namespace cookies (where a deleted namespace's inode can come back: the weaker
    /// key, but the only one there).
    static func make(cookie: UInt64?) -> String {
        if let cookie { return "\(bootID)/\(cookie)" }
        var info = stat()
        if stat("/proc/thread-self/ns/net", &info) == 0 { return "\(bootID)/ino:\(info.st_ino)" }
        return "\(bootID)/unknown"
    }
}

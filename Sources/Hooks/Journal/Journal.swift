import Foundation
import HostNet
import QEMU
import SystemPackage

/// A NIC's journal: the changes its hook made, one JSON line each, in the state directory
/// (`journal/<instance>/<index>`). Each entry is on disk (fsync) before the change it describes
/// is made, so after a crash the journal holds at least every change that happened.
public final class Journal {
    /// The file.
    public let path: String
    /// The entries in the order they were made.
    public private(set) var entries: [JournalEntry]
    /// Kept open for appends while the journal is in use (a hook makes several changes).
    private var appender: FileDescriptor?

    /// Whether writes are fsync'd. Not on tmpfs, where fsync does nothing a write does not: a
    /// journal there outlives a crash of taphouse (what it must survive) but not a reboot, which
    /// also takes away every tap, route and rule it describes.
    private let durable: Bool

    private init(path: String, entries: [JournalEntry], durable: Bool = true) {
        self.path = path
        self.entries = entries
        self.durable = durable
    }

    /// The journal's path for a NIC.
    public static func path(stateDirectory: String, instance: String, nicIndex: Int) -> String {
        StateDirectory(stateDirectory).journal(instance, nic: nicIndex)
    }

    /// Starts a new journal at `path` with its first entry. A journal already there (left by an
    /// up that never went down: a crash) is handed to `stale` first, whose undo must be done
    /// before it is replaced.
    public static func create(
        path: String, first: JournalEntry, durable: Bool = true, stale: ([JournalEntry]) -> Void = { _ in }
    ) throws(HookError) -> Journal {
        let journal = Journal(path: path, entries: [], durable: durable)
        // The common case costs one open: a new file, created and written in place, kept open
        // for the appends that follow.
        let folder = (path as NSString).deletingLastPathComponent
        var createdFolder = false
        while true {
            do {
                journal.appender = try FileDescriptor.open(
                    FilePath(path), .writeOnly, options: [.create, .exclusiveCreate, .append, .closeOnExec],
                    permissions: [.ownerReadWrite])
                break
            } catch .fileExists {
                if let old = try load(path: path) { stale(old.entries) }
                try journal.rewrite([first])  // replacing an old one: atomically
                return journal
            } catch .noSuchFileOrDirectory where !createdFolder {
                do {
                    // An instance's folder, in a journal folder that is there: one mkdir.
                    if mkdir(folder, 0o777) != 0, errno != EEXIST {
                        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                    }
                } catch {
                    throw HookError(.journal, "\(folder): cannot create the journal's folder: \(error)")
                }
                createdFolder = true
            } catch {
                throw HookError(.journal, "\(path): cannot create the journal: \(error)")
            }
        }
        do throws(HookError) {
            if durable {
                // The folder is synced so the new name is as durable as its content.
                do {
                    let directory = try FileDescriptor.open(
                        FilePath(folder), .readOnly, options: [.directory, .closeOnExec])
                    try directory.closeAfter { try directory.sync() }
                } catch {
                    throw HookError(.journal, "\(path): cannot sync the journal's folder: \(error)")
                }
            }
            try journal.append(first)
        } catch {
            // The file is this call's and no change was made yet (a full file system, say):
            // nothing of it may stay for an undo to trip over later.
            try? journal.appender?.close()
            unlink(path)
            throw error
        }
        return journal
    }

    /// The journal at `path`, or nil when there is none.
    public static func load(path: String) throws(HookError) -> Journal? {
        let read: [UInt8]?
        do {
            read = try FileSystem.contents(path)
        } catch {
            throw HookError(.journal, "\(path): cannot read the journal: \(error)")
        }
        guard let data = read else { return nil }
        var entries: [JournalEntry] = []
        let lines = data.split(separator: 0x0A)
        for (number, line) in lines.enumerated() {
            // Read by hand (``JournalEntry/init(line:)``); Codable reads the same lines, and is
            // asked second, for a line the hand-written reader does not take.
            if let entry = (try? JournalEntry(line: line))
                ?? (try? JSONDecoder().decode(JournalEntry.self, from: Data(line)))
            {
                entries.append(entry)
                continue
            }
            // A torn last line (a crash mid-write) is dropped: its change was never made.
            if number == lines.count - 1 { break }
            throw HookError(.journal, "\(path):\(number + 1): unreadable journal entry")
        }
        return Journal(path: path, entries: entries)
    }

    /// Appends an entry durably.
    public func append(_ entry: JournalEntry) throws(HookError) { try append(contentsOf: [entry]) }

    /// Appends entries durably, in one write (the entries of one batched change).
    public func append(contentsOf newEntries: [JournalEntry]) throws(HookError) {
        let lines = newEntries.map { encode($0) + "\n" }.joined()
        do {
            if appender == nil {
                appender = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.append, .closeOnExec])
            }
            _ = try appender!.writeAll(lines.utf8)
            if durable { try appender!.sync() }
        } catch {
            throw HookError(.journal, "\(path): cannot append to the journal: \(error)")
        }
        entries += newEntries
    }

    /// Drops the last `count` entries (their change failed, so there is nothing to undo for them).
    public func dropLast(_ count: Int = 1) throws(HookError) {
        guard !entries.isEmpty, count > 0 else { return }
        try rewrite(Array(entries.dropLast(count)))
    }

    /// Deletes the journal (after its NIC went down).
    public func remove() throws(HookError) {
        try? appender?.close()
        appender = nil
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw HookError(.journal, "\(path): cannot remove the journal: \(error)")
        }
        entries = []
    }

    /// Replaces the file atomically: temp file, fsync, rename, fsync of the folder.
    private func rewrite(_ newEntries: [JournalEntry]) throws(HookError) {
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp"
        let text = newEntries.map { encode($0) + "\n" }.joined()
        try? appender?.close()
        appender = nil
        do {
            if access(folder, F_OK) != 0 {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            }
            let fd = try FileDescriptor.open(
                FilePath(temporary), .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: [.ownerReadWrite])
            try fd.closeAfter {
                _ = try fd.writeAll(text.utf8)
                try fd.sync()
            }
            guard rename(temporary, path) == 0 else { throw Errno(rawValue: errno) }
            let directory = try FileDescriptor.open(FilePath(folder), .readOnly, options: [.directory, .closeOnExec])
            try directory.closeAfter { try directory.sync() }
        } catch {
            unlink(temporary)
            throw HookError(.journal, "\(path): cannot write the journal: \(error)")
        }
        entries = newEntries
    }

    private func encode(_ entry: JournalEntry) -> String { entry.line }
}

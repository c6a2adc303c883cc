import Foundation

/// The processes of a process group, read from /proc: what a command left running after it
/// exited (a child it started in the background). A process that started a session of its own
/// (a daemon's setsid) is no longer in the group and is not found.
public enum ProcessGroup {
    /// `pid N (comm)` for each live process whose group is `group`.
    public static func members(_ group: pid_t) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> String? in
            guard let pid = pid_t(name),
                let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat")
            else { return nil }
            let stat = String(decoding: data, as: UTF8.self)
            // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so the fields
            // are counted from the last ')'.
            guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[2]) == group, fields[0] != "Z" else { return nil }
            return "pid \(pid) (\(stat[stat.index(after: open)..<close]))"
        }.sorted()
    }

    /// Every live descendant of `pid` (children, their children, ...), from the parent pids in
    /// /proc: what a process started, whatever group or session it moved to since.
    public static func descendants(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var children: [pid_t: [pid_t]] = [:]
        for name in entries {
            guard let child = pid_t(name), let data = FileManager.default.contents(atPath: "/proc/\(child)/stat")
            else { continue }
            let stat = String(decoding: data, as: UTF8.self)
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = pid_t(fields[1]) else { continue }
            children[parent, default: []].append(child)
        }
        var found: [pid_t] = []
        var queue = children[pid] ?? []
        while let next = queue.popLast() {
            found.append(next)
            queue += children[next] ?? []
        }
        return found
    }
}

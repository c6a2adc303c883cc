import Foundation
import HostNet
import TestSupport
import Testing

extension DaemonTests {
    /// A package's layout in a private prefix: `bin/taphouse` (a copy of the binary built),
    /// `lib/taphouse/hooks` and `share/taphouse/lua` (this tree's).
    static func packagedPrefix(in folder: TemporaryFolder) throws -> String {
        let prefix = folder.path + "/prefix"
        for sub in ["bin", "lib/taphouse", "share/taphouse"] {
            try FileManager.default.createDirectory(atPath: prefix + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: TaphouseBinary.path, toPath: prefix + "/bin/taphouse")
        try FileManager.default.createSymbolicLink(
            atPath: prefix + "/lib/taphouse/hooks", withDestinationPath: ExampleTests.repository + "/hooks")
        try FileManager.default.createSymbolicLink(
            atPath: prefix + "/share/taphouse/lua", withDestinationPath: ExampleTests.repository + "/lua")
        return prefix
    }

    /// The pids of `parent`'s children whose command line contains `text`.
    static func children(of parent: pid_t, running text: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"),
                Int32(stat[stat.index(close, offsetBy: 4)...].split(separator: " ").first ?? "") == parent,
                let line = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return false }
            return String(decoding: line.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(text)
        }
    }

    /// A package upgrade replaces `/usr/bin/taphouse` under the running daemon (dpkg renames the
    /// new file over it). Until the daemon restarts, a hook worker it starts must still be its own
    /// version: the one it was started from, not whatever the path now holds.
    @Test func hookWorkersStartedAfterTheBinaryIsReplacedAreTheDaemonsOwn() throws {
        let node = try InstanceLifecycleTests.Node()
        let prefix = try Self.packagedPrefix(in: node.folder)
        let daemon = try Daemon(node, binary: prefix + "/bin/taphouse")
        // The packaged layout is found from the binary, with no option.
        let before = try daemon.curl(["/v1/node/verify"])
        #expect(before.object["ok"] as? Bool == true, "\(before.body)")
        let hooks = (before.object["checks"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "hook" }
        #expect(hooks.contains { $0["subject"] as? String == prefix + "/lib/taphouse/hooks/network/bridged.lua" })

        // The upgrade: a file that is no taphouse renamed over the binary.
        node.folder.write("new-taphouse", "#!/bin/sh\necho 'not the daemon this was' >&2\nexit 3\n")
        chmod(node.folder.path + "/new-taphouse", 0o755)
        #expect(rename(node.folder.path + "/new-taphouse", prefix + "/bin/taphouse") == 0)
        // Its workers die; the next check starts new ones.
        let workers = Self.children(of: daemon.pid, running: "hooks worker")
        #expect(!workers.isEmpty, "the daemon has no hook worker")
        for worker in workers { kill(worker, SIGKILL) }
        let after = try daemon.curl(["/v1/node/verify"])
        #expect(after.object["ok"] as? Bool == true, "\(after.body)")
        let started = Self.children(of: daemon.pid, running: "hooks worker")
        #expect(!started.isEmpty && Set(started).isDisjoint(with: workers))
        for worker in started {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(worker)/exe")) ?? ""
            #expect(exe == prefix + "/bin/taphouse (deleted)", "worker \(worker) runs \(exe)")
        }
        try daemon.expectDocumented()
    }
}

import Foundation
import HostNet
import Logging
import LuaKit
import QEMU
import TestSupport
import Testing

@testable import Hooks

#if canImport(Glibc)
import Glibc
#endif

/// `taphouse.exec` with real commands (files in a folder of the test's, a shell as the hook's
/// program where the case is about a shell's children): undo carried in the journal, standard
/// input, waiting for the exit and not for the output, a process group killed at the timeout,
/// and the time a command takes kept out of the Lua budget.
@Suite("exec: undo, stdin, process groups and the budget", .serialized)
struct ExecTests {
    let folder = TemporaryFolder()

    func runner(_ source: String, limits: LuaLimits = HookSandbox.defaultLimits) -> NetworkHookRunner {
        folder.write("site/network/ext.lua", source)
        return NetworkHookRunner(
            directories: HookDirectories(
                builtin: Repository.path + "/hooks", site: folder.path + "/site", library: Repository.path + "/lua"),
            stateDirectory: folder.path + "/state", limits: limits, logger: Logger(label: "test"))
    }

    static let nic = NICSpec(mac: "aa:00:00:12:34:56", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "ext")

    static func host() -> FakeHost {
        let host = FakeHost()
        host.addLink("tap0", kind: "tun")
        return host
    }

    func up(_ runner: NetworkHookRunner, _ host: FakeHost) throws {
        try runner.up(instance: "web1", tags: [], nic: Self.nic, index: 0, interface: "tap0", network: host, ovs: nil)
    }

    func down(_ runner: NetworkHookRunner, _ host: FakeHost) throws -> [String] {
        try runner.down(instance: "web1", tags: [], nic: Self.nic, index: 0, interface: "tap0", network: host, ovs: nil)
            .map(\.description)
    }

    @Test func anExecWithItsUndoIsUndoneAtDownAndOnAFailedUp() throws {
        let marker = folder.path + "/marker"
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              exec.run({ "/usr/bin/touch", "\(marker)" }, { undo = { "/bin/rm", "-f", "\(marker)" } })
              if nic.IP == nil and FAIL then error("failing after the command") end
            end }
            """)
        let host = Self.host()
        try up(runner, host)
        #expect(FileManager.default.fileExists(atPath: marker))
        let calls = try down(runner, host)
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(calls.contains("exec /bin/rm -f \(marker)  # undo"), "\(calls)")

        let failing = self.runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              exec.run({ "/usr/bin/touch", "\(marker)" }, { undo = { "/bin/rm", "-f", "\(marker)" } })
              error("failing after the command")
            end }
            """)
        #expect(throws: HookError.self) { try up(failing, host) }
        #expect(!FileManager.default.fileExists(atPath: marker), "a failed up runs the exec's undo")
    }

    @Test func unknownExecOptionsAreRefusedAsSetLinksAre() throws {
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic) exec.run({ "/bin/true" }, { timeout = 5 }) end }
            """)
        let error = #expect(throws: HookError.self) { try up(runner, Self.host()) }
        #expect(
            error?.message
                == "bad argument #2 to 'taphouse.exec.run' (unknown option 'timeout' (taphouse.exec.run takes detach, link, stdin, timeout_ms, undo, undo_stdin))",
            "\(String(describing: error))")
    }

    @Test func stdinReachesTheCommandAndItsUndo() throws {
        let file = folder.path + "/set"
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              local r = exec.run({ "/usr/bin/tee", "\(file)" }, { stdin = "add element tap0\\n",
                undo = { "/usr/bin/tee", "\(file)" }, undo_stdin = "deleted\\n" })
              if r.stdout ~= "add element tap0\\n" then error("stdout: " .. r.stdout) end
            end }
            """)
        let host = Self.host()
        try up(runner, host)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "add element tap0\n")
        _ = try down(runner, host)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "deleted\n")
    }

    @Test func aCommandThatLeavesAChildReturnsAtItsExitAndTheChildIsKilledAndReported() throws {
        // The hook's own program is a shell here: the case is a shell's background child.
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              local r = exec.run({ "/bin/sh", "-c", "sleep 31.4159 & echo started" }, { timeout_ms = 20000 })
              error(r.stdout .. "|" .. tostring(r.left_running and #r.left_running) .. "|" .. tostring(r.left_running_killed), 0)
            end }
            """)
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: HookError.self) { try up(runner, Self.host()) }
        #expect(clock.now - start < .seconds(5))
        #expect(error?.message == "started\n|1|true", "\(String(describing: error))")
        usleep(100_000)
        #expect(Self.processes(containing: "sleep 31.4159").isEmpty, "the background child outlived the command")
    }

    @Test func aDetachedHelperIsLeftRunning() throws {
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              local r = exec.run({ "/bin/sh", "-c", "sleep 27.1828 & echo started" }, { detach = true })
              error(tostring(r.left_running_killed), 0)
            end }
            """)
        let error = #expect(throws: HookError.self) { try up(runner, Self.host()) }
        #expect(error?.message == "false")
        let left = Self.processes(containing: "sleep 27.1828")
        #expect(left.count == 1)
        for pid in left { kill(pid, SIGKILL) }
    }

    @Test func aCommandPastItsTimeoutIsKilledWithItsGroup() throws {
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              exec.run({ "/bin/sh", "-c", "sleep 29.9792 & sleep 29.9793" }, { timeout_ms = 300 })
            end }
            """)
        let error = #expect(throws: HookError.self) { try up(runner, Self.host()) }
        #expect(
            error?.message.contains("no answer within 0.3 seconds; killed with its process group") == true,
            "\(String(describing: error))")
        usleep(100_000)
        #expect(Self.processes(containing: "sleep 29.979").isEmpty)
    }

    @Test func aCommandsWaitDoesNotCountAgainstTheLuaBudget() throws {
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              exec.run({ "/bin/sleep", "0.7" }, { timeout_ms = 5000 })
              local n = 0
              for i = 1, 1e5 do n = n + i end
            end }
            """, limits: LuaLimits(timeout: .milliseconds(500), memoryBytes: 64 << 20, ceiling: .seconds(30)))
        try up(runner, Self.host())
    }

    @Test func aCallOverItsBudgetSaysHowTheTimeWasSpent() throws {
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic)
              exec.run({ "/bin/sleep", "0.3" })
              while true do end
            end }
            """, limits: LuaLimits(timeout: .milliseconds(300), memoryBytes: 64 << 20, ceiling: .seconds(30)))
        let error = #expect(throws: HookError.self) { try up(runner, Self.host()) }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("time budget of 300 ms exhausted (Lua 0.3"), "\(message)")
        #expect(message.contains("; /bin/sleep 0.3"), "\(message)")
    }

    @Test func aCommandIsCutToWhatIsLeftOfTheCallsCeiling() throws {
        let runner = runner(
            """
            local exec = require "taphouse.exec"
            return { up = function(nic) exec.run({ "/bin/sleep", "5" }, { timeout_ms = 60000 }) end }
            """, limits: LuaLimits(timeout: .seconds(2), memoryBytes: 64 << 20, ceiling: .milliseconds(400)))
        let clock = ContinuousClock()
        let start = clock.now
        let error = #expect(throws: HookError.self) { try up(runner, Self.host()) }
        #expect(clock.now - start < .seconds(3))
        #expect(error?.message.contains("/bin/sleep 5: no answer within") == true, "\(String(describing: error))")
    }

    static func processes(containing needle: String) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\u{0}", with: " ").contains(needle)
        }
    }
}

import Foundation
import Hooks
import HostNet
import LuaKit
import QEMU
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hook calls in worker processes (the built `taphouse hooks worker`): a worker that does not
/// answer by the call's ceiling is killed with what it started, and the NIC's half-done changes
/// are undone by the node from the journal; a worker that dies is replaced; the next call runs.
@Suite(
    "Hook workers",
    .serialized,
    .enabled(if: NetworkNamespace.isAvailable, "\(NetworkNamespace.unavailableReason ?? "")"))
struct HookWorkerTests {
    static func pool(size: Int = 2) -> HookWorkerPool {
        HookWorkerPool(.taphouse(executable: TaphouseBinary.path, size: size))
    }

    /// Hooks that evaluate files through `pool`, with no hook folders.
    static func evaluator(
        _ pool: HookWorkerPool, _ folder: TemporaryFolder, limits: LuaLimits = HookSandbox.defaultLimits
    ) -> WorkerHooks {
        WorkerHooks(
            pool: pool,
            setup: HookWorkerSetup(
                directories: HookDirectories(builtin: "/nonexistent", site: nil, library: "/nonexistent"),
                stateDirectory: folder.path, limits: limits))
    }

    /// Hooks of the built-in folder and `folder`/site, the state in `folder`/state; by default a
    /// Lua budget of 500 ms (so a call's ceiling is 1.5 seconds).
    static func siteHooks(
        _ folder: TemporaryFolder, workers: Int = 2, limits: LuaLimits = LuaLimits(timeout: .milliseconds(500))
    ) -> WorkerHooks {
        WorkerHooks(
            pool: pool(size: workers),
            setup: HookWorkerSetup(
                directories: HookDirectories(
                    builtin: Repository.path + "/hooks", site: folder.path + "/site", library: Repository.path + "/lua"),
                stateDirectory: folder.path + "/state", limits: limits))
    }

    static func nic(_ mode: String = "bridged", link: String = "br0") -> NICSpec {
        NICSpec(mac: "aa:00:00:12:34:56", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: mode, link: link)
    }

    static func processes(named needle: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\u{0}", with: " ")
                .contains(needle)
        }
    }

    @Test func aWorkerKilledAtItsCeilingMidBridgedUpLeavesTheNodeAsItWas() throws {
        let ns = try NetworkNamespace.bridged()
        let folder = TemporaryFolder()
        // The built-in bridged steps, then a command that outlasts the call's ceiling: nothing in
        // the worker can stop it, so the node kills the worker, and the sleep with it.
        folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            local exec = require "taphouse.exec"
            return { up = function(nic)
              base.up(nic)
              exec.run({ "/bin/sleep", "31.337" }, { timeout_ms = 60000 })
            end }
            """)
        let hooks = Self.siteHooks(folder)
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(vnetHeader: true)
            defer { tap.close() }
            let before = try NamespaceSnapshot(host)
            let clock = ContinuousClock()
            let started = clock.now
            let error = #expect(throws: HookError.self) {
                try hooks.nic(
                    NICHookCall(action: .up, instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: tap.name)
                )
            }
            #expect(clock.now - started < .seconds(5))
            #expect(error?.code == .worker)
            #expect(
                error?.description.hasPrefix(
                    "instance web1, NIC 0: \(folder.path)/site/network/bridged.lua: up: its worker process was killed: no answer within 1.5 seconds"
                ) == true, "\(String(describing: error))")
            #expect(error?.undoFailures == [])
            let after = try NamespaceSnapshot(host)
            #expect(after == before, "before: \(before)\nafter: \(after)")
            #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/journal/web1/0"))
        }
        #expect(Self.processes(named: "sleep 31.337").isEmpty, "the worker's command outlived it")
        #expect(hooks.pool.killed == 1)
    }

    /// An instance's NICs go to one worker in one exchange (as a start sends them): each call is
    /// answered as it ends and watched by its own ceiling; the first that fails is the last run.
    /// A hook error there is undone by the worker; a worker killed there costs that NIC alone
    /// (undone by the node), and the NICs before it stay up.
    @Test func severalNICsInOneExchangeStopAtTheFirstFailureAndKeepWhatWentBefore() throws {
        let ns = try NetworkNamespace.bridged()
        let folder = TemporaryFolder()
        folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            local exec = require "taphouse.exec"
            return { up = function(nic)
              base.up(nic)
              if nic.INSTANCE == "fails" and nic.INTERFACE_INDEX == 1 then error("NIC 1 refused") end
              if nic.INSTANCE == "hangs" and nic.INTERFACE_INDEX == 2 then
                exec.run({ "/bin/sleep", "31.338" }, { timeout_ms = 60000 })
              end
            end }
            """)
        let hooks = Self.siteHooks(folder, workers: 1)
        try ns.run {
            let host = try LinuxHost()
            let taps = try (0..<4).map { _ in try Tap.create(vnetHeader: true) }
            defer { for tap in taps { tap.close() } }
            let before = try NamespaceSnapshot(host)
            func calls(_ instance: String) -> [NICHookCall] {
                taps.enumerated().map { index, tap in
                    NICHookCall(
                        action: .up, instance: instance, tags: [], nic: Self.nic(), index: index, interface: tap.name)
                }
            }
            func masters() throws -> [String?] { try taps.map { try host.link($0.name)?.master } }
            func journals(_ instance: String) -> [Bool] {
                (0..<4).map { FileManager.default.fileExists(atPath: folder.path + "/state/journal/\(instance)/\($0)") }
            }
            func down(_ instance: String, _ count: Int) throws {
                for var call in calls(instance).prefix(count) {
                    call.action = .down
                    _ = try hooks.nic(call)
                }
            }

            var told: [Int] = []
            let fine = hooks.nics(calls("fine")) { index, _ in told.append(index) }
            #expect(fine.count == 4 && fine.allSatisfy { (try? $0.get()) != nil }, "\(fine)")
            #expect(told == [0, 1, 2, 3])
            #expect(try masters() == ["br0", "br0", "br0", "br0"])
            try down("fine", 4)
            #expect(try NamespaceSnapshot(host) == before)

            let failed = hooks.nics(calls("fails"))
            #expect(failed.count == 2, "the NICs after the failure are not run: \(failed)")
            guard case .failure(let refused) = failed.last else { Issue.record("NIC 1 did not fail"); return }
            #expect(refused.code == .hook)
            #expect(refused.description.hasPrefix("instance fails, NIC 1: "), "\(refused)")
            #expect(refused.description.contains("NIC 1 refused"), "\(refused)")
            #expect(try masters() == ["br0", nil, nil, nil])
            #expect(journals("fails") == [true, false, false, false])
            try down("fails", 1)
            #expect(hooks.pool.started == 1, "a hook's failure costs no worker")

            let lost = hooks.nics(calls("hangs"))
            #expect(lost.count == 3, "\(lost)")
            guard case .failure(let killed) = lost.last else { Issue.record("NIC 2 did not fail"); return }
            #expect(killed.code == .worker)
            #expect(
                killed.description.hasPrefix(
                    "instance hangs, NIC 2: \(folder.path)/site/network/bridged.lua: up: its worker process was killed"),
                "\(killed)")
            #expect(killed.undoFailures == [])
            #expect(try masters() == ["br0", "br0", nil, nil])
            #expect(journals("hangs") == [true, true, false, false])
            try down("hangs", 2)
            #expect(try NamespaceSnapshot(host) == before)
        }
        #expect(Self.processes(named: "sleep 31.338").isEmpty, "the worker's command outlived it")
        #expect(hooks.pool.killed == 1)
    }

    /// A worker waiting on a command its hook started within the command's timeout is not
    /// overrunning: the node gives it the command's time (up to the call's ceiling), though the
    /// wait is longer than the Lua budget and the grace together.
    @Test func aCommandLongerThanTheLuaBudgetRunsToItsEndThroughAWorker() throws {
        let ns = try NetworkNamespace.bridged()
        let folder = TemporaryFolder()
        folder.write(
            "site/network/bridged.lua",
            """
            local base = require "taphouse.builtin.network.bridged"
            local exec = require "taphouse.exec"
            return { up = function(nic)
              local r = exec.run({ "/bin/sleep", "3.5" }, { timeout_ms = 10000 })
              assert(r.status == 0, "sleep failed")
              base.up(nic)
            end }
            """)
        // A Lua budget a loaded machine's test run cannot exhaust with this little Lua.
        let hooks = Self.siteHooks(
            folder, workers: 1, limits: LuaLimits(timeout: .milliseconds(1500), ceiling: .seconds(20)))
        #expect(hooks.ceiling < .seconds(3))
        try ns.run {
            let host = try LinuxHost()
            let tap = try Tap.create(vnetHeader: true)
            defer { tap.close() }
            _ = try hooks.nic(
                NICHookCall(action: .up, instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: tap.name))
            #expect(try host.link(tap.name)?.master == "br0")
            _ = try hooks.nic(
                NICHookCall(action: .down, instance: "web1", tags: [], nic: Self.nic(), index: 0, interface: tap.name))
            #expect(try host.link(tap.name)?.master == nil)
        }
        #expect(hooks.pool.killed == 0)
    }

    @Test func aWorkerThatSegfaultsIsReplacedAndTheNextHookRuns() throws {
        let folder = TemporaryFolder()
        folder.write("spin.lua", "local n = 0 while true do n = n + 1 end")
        folder.write("fine.lua", "return 'fine'")
        let pool = Self.pool(size: 1)
        let hooks = Self.evaluator(pool, folder, limits: LuaLimits(timeout: .seconds(20)))
        // The worker spins; it gets the signal a crash in Lua's C code would raise.
        let crasher = Thread {
            for _ in 0..<500 {
                if let pid = pool.workerPIDs.first {
                    usleep(100_000)
                    kill(pid, SIGSEGV)
                    return
                }
                usleep(10_000)
            }
        }
        crasher.start()
        let failure = #expect(throws: HookWorkerFailure.self) {
            try hooks.eval(folder.path + "/spin.lua", moduleRoots: [])
        }
        #expect(failure?.kind == .died("signal 11 (SIGSEGV)"))
        #expect(pool.died == 1)
        let result = try hooks.eval(folder.path + "/fine.lua", moduleRoots: [])
        #expect(result.values == ["fine"])
        #expect(pool.started == 2)
    }

    @Test func aWorkerKilledWhileIdleCostsNoCall() throws {
        let folder = TemporaryFolder()
        folder.write("fine.lua", "return 'fine'")
        let pool = Self.pool(size: 1)
        let hooks = Self.evaluator(pool, folder)
        #expect(try hooks.eval(folder.path + "/fine.lua", moduleRoots: []).values == ["fine"])
        // The OOM killer, or an admin, takes the idle worker, and it has ended while idle: a
        // zombie of its leader alone (its other threads gone, and its descriptors with them).
        let idle = try #require(pool.workerPIDs.first)
        kill(idle, SIGKILL)
        while (try? String(contentsOfFile: "/proc/\(idle)/stat", encoding: .utf8))?.contains(") Z ") != true
            || (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(idle)/task")) != ["\(idle)"]
        {
            usleep(1000)
        }
        // The next call is served by a new worker, not failed by the dead one.
        #expect(try hooks.eval(folder.path + "/fine.lua", moduleRoots: []).values == ["fine"])
        #expect(pool.died == 1)
        #expect(pool.started == 2)
        #expect(pool.workerPIDs.count == 1 && pool.workerPIDs.first != idle)
    }

    @Test func aStoppedWorkerIsKilledAtItsCeilingAndTheNextSpecFileRuns() throws {
        // The worker that would load the first spec file stops answering (stopped here with
        // SIGSTOP, as a worker stuck in the kernel would be): that file fails with the kill, and
        // the next one loads and runs in a new worker.
        let folder = TemporaryFolder()
        for name in ["one", "two"] {
            folder.write(
                "spec/\(name)_spec.lua",
                """
                local test = require "taphouse.test"
                test.case("\(name)", { nic = { MODE = "routed", IP = "192.0.2.1" } })
                """)
        }
        let pool = HookWorkerPool(
            HookWorkerPool.Configuration(
                argv: [TaphouseBinary.path, "hooks", "worker"], size: 1, grace: .milliseconds(200)))
        let hooks = WorkerHooks(
            pool: pool,
            setup: HookWorkerSetup(
                directories: HookDirectories(
                    builtin: Repository.path + "/hooks", site: nil, library: Repository.path + "/lua"),
                stateDirectory: folder.path, limits: LuaLimits(timeout: .milliseconds(300))))
        try pool.prewarm(1)
        let stopped = try #require(pool.workerPIDs.first)
        kill(stopped, SIGSTOP)
        let results = hooks.specResults(files: ["one", "two"].map { folder.path + "/spec/\($0)_spec.lua" })
        #expect(results.map(\.name) == ["loading the spec file", "two"], "\(results)")
        if case .failed(let lines)? = results.first?.outcome {
            #expect(lines.joined().contains("its worker process was killed: no answer within 0.5 seconds"), "\(lines)")
        }
        #expect(results.last?.outcome == .passed)
        #expect(kill(stopped, 0) != 0, "the stopped worker was not killed")
        #expect(pool.killed == 1 && pool.started == 2)
    }
}

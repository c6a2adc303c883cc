import Logging
import LuaKit
import Synchronization
import Testing

@testable import Hooks

/// Collects log entries in memory (a fake log backend for the module under test).
final class FakeLogRecorder: Sendable {
    struct Entry: Sendable, Equatable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let entries = Mutex<[Entry]>([])

    var logger: Logger {
        Logger(label: "test") { _ in FakeLogHandler(recorder: self) }
    }
}

struct FakeLogHandler: LogHandler {
    let recorder: FakeLogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        recorder.entries.withLock {
            $0.append(.init(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}

@Suite("taphouse.log and the hook sandbox")
struct LogModuleTests {
    @Test func hooksLogThroughTheNodeLoggerWithFieldsAndContext() throws {
        let recorder = FakeLogRecorder()
        let sandbox = HookSandbox(logger: recorder.logger)
        let state = try sandbox.makeState(metadata: ["instance": "web1"])
        let chunk = try state.load(
            source: """
                local log = require "taphouse.log"
                log.info("bridge port added", { bridge = "br0", mtu = 1500, up = true })
                log.warning("no vlan")
                log.debug("raw", { list = { 1, 2 } })
                """, name: "hook.lua")
        _ = try state.call(chunk)
        #expect(
            recorder.entries.withLock { $0 } == [
                .init(
                    level: .info, message: "bridge port added",
                    metadata: ["instance": "web1", "bridge": "br0", "mtu": "1500", "up": "true"]),
                .init(level: .warning, message: "no vlan", metadata: ["instance": "web1"]),
                .init(level: .debug, message: "raw", metadata: ["instance": "web1", "list": "[1,2]"]),
            ])
        #expect(state.stackTop == 0)
    }

    @Test func aBadLogCallNamesTheHookLine() throws {
        let sandbox = HookSandbox(logger: FakeLogRecorder().logger)
        let state = try sandbox.makeState()
        let chunk = try state.load(source: "local log = require 'taphouse.log'\nlog.info(nil)\n", name: "hook.lua")
        let error = #expect(throws: LuaError.self) { try state.call(chunk) }
        #expect(error?.description == "hook.lua:2: bad argument #1 to 'taphouse.log.info' (string expected, got nil)")
    }

    @Test func theHookSandboxHasTheHookBudgets() throws {
        let sandbox = HookSandbox(logger: FakeLogRecorder().logger)
        #expect(sandbox.limits == HookSandbox.defaultLimits)
        let state = try sandbox.makeState()
        #expect(state.configuration.limits.memoryBytes == 64 << 20)
    }
}

import Testing

@testable import LuaKit

@Suite("Time and memory budgets")
struct LimitTests {
    static let endless: [(String, String)] = [
        ("a bare loop", "while true do end"),
        ("pcall in a loop", "for i = 1, 1e9 do pcall(function() while true do end end) end return 'escaped'"),
        ("pcall inside pcall", "while true do pcall(pcall, function() while true do end end) end"),
        (
            "xpcall with a looping handler",
            "xpcall(function() while true do end end, function() while true do end end) return 'escaped'"
        ),
        ("a coroutine", "local co = coroutine.wrap(function() while true do end end) co() return 'escaped'"),
        (
            "a coroutine resumed under pcall in a loop",
            "while true do pcall(coroutine.resume, coroutine.create(function() while true do end end)) end"
        ),
        (
            "a coroutine that catches inside itself",
            "local co = coroutine.create(function() while true do pcall(function() while true do end end) end end) coroutine.resume(co) return 'escaped'"
        ),
        (
            "recursion through string.gsub callbacks",
            "local function f() while true do end end for i = 1, 1e9 do pcall(string.gsub, 'aaa', 'a', f) end return 'escaped'"
        ),
        (
            "an xpcall handler that loops after an ordinary error",
            "return xpcall(function() error('x') end, function() while true do end end)"
        ),
        (
            "a __close handler that loops",
            "do local x <close> = setmetatable({}, { __close = function() while true do end end }) end return 'escaped'"
        ),
        ("table.sort with a looping comparator", "table.sort({3, 2, 1}, function() while true do end end)"),
    ]

    @Test("an endless loop is stopped by the time budget", arguments: endless)
    func endlessLoopIsStopped(name: String, source: String) throws {
        let state = try makeState(limits: LuaLimits(timeout: .milliseconds(100)))
        let error = failure(state, source)
        #expect(error?.code == .timeout, "\(name): \(String(describing: error))")
        #expect(error?.message == "time budget of 100 ms exhausted")
        // The state serves the next call with a fresh budget.
        #expect(try run(state, "local n = 0 for i = 1, 1000 do n = n + i end return n") == [500500])
    }

    @Test func theTimeoutNamesTheLineOfTheLoop() throws {
        let state = try makeState(limits: LuaLimits(timeout: .milliseconds(50)))
        let error = failure(state, "local x = 1\nwhile true do\n  x = x + 1\nend\n", name: "spin.lua")
        #expect(error?.file == "spin.lua")
        #expect(error.flatMap(\.line).map { (2...3).contains($0) } == true)
    }

    @Test func theInstructionBudgetStopsALoopBeforeTheClockDoes() throws {
        let state = try makeState(
            limits: LuaLimits(timeout: .seconds(60), instructionLimit: 100_000, hookInterval: 100))
        let error = failure(state, "while true do end")
        #expect(error?.code == .timeout)
        #expect(error?.message == "instruction budget of 100000 exhausted")
        #expect(try run(state, "local n = 0 for i = 1, 100 do n = n + 1 end return n") == [100])
    }

    @Test func aSwiftFunctionThatBlocksPastTheDeadlineEndsTheCall() throws {
        let slow = LuaModule(
            name: "test.slow",
            functions: [
                "sleep": { _ in
                    let clock = ContinuousClock()
                    let end = clock.now + .milliseconds(80)
                    while clock.now < end {}
                    return []
                }
            ])
        let state = try makeState(limits: LuaLimits(timeout: .milliseconds(30)), modules: [slow])
        let error = failure(state, "require('test.slow').sleep() local n = 0 for i = 1, 1e6 do n = n + 1 end return n")
        #expect(error?.code == .timeout)
    }

    static let bombs: [(String, String)] = [
        ("a growing table", "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end"),
        ("one huge string", "return ('x'):rep(1 << 30)"),
        ("string doubling", "local s = 'x' while true do s = s .. s end"),
        (
            "a bomb under pcall that returns",
            "local ok = pcall(function() local t = {} for i = 1, 1e9 do t[i] = {} end end) return ok"
        ),
        (
            "a bomb under pcall in a loop",
            "while true do pcall(function() local t = {} for i = 1, 1e9 do t[i] = {} end end) end"
        ),
        (
            "a bomb in a coroutine",
            "coroutine.resume(coroutine.create(function() local t = {} for i = 1, 1e9 do t[i] = {} end end)) return 'escaped'"
        ),
        ("table.concat", "local t = {} for i = 1, 1e6 do t[i] = ('y'):rep(64) end return #table.concat(t)"),
    ]

    @Test("a memory bomb is stopped by the memory budget", arguments: bombs)
    func memoryBombIsStopped(name: String, source: String) throws {
        let state = try makeState(limits: LuaLimits(timeout: .seconds(20), memoryBytes: 8 << 20))
        let error = failure(state, source)
        #expect(error?.code == .memory, "\(name): \(String(describing: error))")
        #expect(
            error?.message.hasPrefix("memory budget of 8388608 bytes exhausted") == true,
            "\(name): \(String(describing: error))")
        #expect(state.memoryInUse < 8 << 20)
        // Garbage from the failed call is gone; the state works.
        #expect(try run(state, "local t = {} for i = 1, 1000 do t[i] = i end return #t") == [1000])
    }

    @Test func usageUnderTheBudgetIsFine() throws {
        let state = try makeState(limits: LuaLimits(timeout: .seconds(10), memoryBytes: 8 << 20))
        // Allocates far more than the budget over the call, but never holds more than a little.
        let values = try run(
            state, "local n = 0 for i = 1, 2e5 do local t = { i, tostring(i) } n = n + #t end return n")
        #expect(values == [400000])
        #expect(state.peakMemory <= 8 << 20)
    }

    @Test func swiftFunctionResultsAreNotRefusedMidPush() throws {
        // A Swift function may return more than the budget allows; the push must not raise in a
        // Swift frame. The Lua code that then allocates is stopped instead.
        let big = LuaModule(
            name: "test.big", functions: ["blob": { _ in [.string(String(repeating: "z", count: 9 << 20))] }])
        let state = try makeState(limits: LuaLimits(memoryBytes: 8 << 20), modules: [big])
        let error = failure(state, "local b = require('test.big').blob() local t = {} for i = 1, 1e6 do t[i] = {} end")
        #expect(error?.code == .memory)
    }
}

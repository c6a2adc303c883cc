import Testing

@testable import LuaKit

/// `callFunction`: read-only arguments, and where the called function is defined.
@Suite("Calling a chunk's function with read-only arguments")
struct CallFunctionTests {
    static func call(
        _ state: LuaState, _ source: String, arguments: [LuaValue], readOnly: [Int: String] = [0: "instance"]
    ) throws(LuaError) -> LuaCallResult {
        #expect(state.stackTop == 0)
        defer { #expect(state.stackTop == 0) }
        return try state.callFunction(
            state.load(source: source, name: "hook.lua"), "f", arguments: arguments, readOnly: readOnly)
    }

    @Test func aReadOnlyTableReadsThroughAndTellsTheFunctionsLine() throws {
        let state = try makeState()
        let result = try Self.call(
            state,
            """
            local M = {}

            function M.f(t, u)
              local keys = {}
              for k in pairs(t) do keys[#keys + 1] = k end
              table.sort(keys)
              local tags = {}
              for _, tag in ipairs(t.tags) do tags[#tags + 1] = tag end
              u.changed = true
              return t.name, #t.tags, table.concat(keys, ","), table.concat(tags, ","), u
            end

            return M
            """, arguments: [["name": "web1", "tags": ["a", "b"]], ["x": 1]])
        #expect(result.values == ["web1", 2, "name,tags", "a,b", ["x": 1, "changed": true]])
        #expect(result.file == "hook.lua")
        #expect(result.line == 3)
    }

    @Test func aWriteToAReadOnlyTableRaisesAtTheWritersLine() throws {
        let state = try makeState()
        let direct = #expect(throws: LuaError.self) {
            try Self.call(state, "return { f = function(t)\n  t.name = 1\nend }", arguments: [["name": "a"]])
        }
        #expect(direct?.message == "cannot set instance.name: instance is read-only")
        #expect(direct?.file == "hook.lua" && direct?.line == 2)
        let nested = #expect(throws: LuaError.self) {
            try Self.call(
                state, "return { f = function(t)\n\n  table.insert(t.tags, 'c')\nend }", arguments: [["tags": ["a"]]])
        }
        #expect(nested?.message == "cannot set instance.tags[2]: instance.tags is read-only")
        #expect(nested?.file == "hook.lua" && nested?.line == 3)
    }

    @Test func argumentsNotNamedStayWritableAndScalarsPassAsTheyAre() throws {
        let state = try makeState()
        let result = try Self.call(
            state, "return { f = function(n, t) t.x = n return t end }", arguments: [7, [:]], readOnly: [0: "n"])
        #expect(result.values == [["x": 7]])
    }

    @Test func aCFunctionHasNoLine() throws {
        let state = try makeState()
        let result = try Self.call(state, "return { f = tostring }", arguments: [1])
        #expect(result.values == ["1"])
        #expect(result.line == nil && result.file == nil)
    }
}

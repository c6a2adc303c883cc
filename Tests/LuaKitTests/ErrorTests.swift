import Testing

@testable import LuaKit

@Suite("Errors name file and line")
struct ErrorTests {
    @Test func aRuntimeErrorNamesTheFileAndLine() throws {
        let folder = TemporaryFolder()
        let path = folder.write("hooks/network/bridged.lua", "local x = 1\n\nlocal y = nil\nreturn y.field\n")
        let state = try makeState()
        let chunk = try state.load(file: path)
        let error = #expect(throws: LuaError.self) { try state.call(chunk) }
        #expect(error?.code == .runtime)
        #expect(error?.file == path)
        #expect(error?.line == 4)
        #expect(error?.message == "attempt to index a nil value (local 'y')")
        #expect(error?.description == "\(path):4: attempt to index a nil value (local 'y')")
        #expect(error?.traceback?.contains("in main chunk") == true)
        #expect(state.stackTop == 0)
    }

    @Test func aSyntaxErrorNamesTheFileAndLine() throws {
        let folder = TemporaryFolder()
        let path = folder.write("bad.lua", "local a = 1\nlocal b = = 2\n")
        let state = try makeState()
        let error = #expect(throws: LuaError.self) { try state.load(file: path) }
        #expect(error?.code == .syntax)
        #expect(error?.file == path)
        #expect(error?.line == 2)
        #expect(error?.message == "unexpected symbol near '='")
        #expect(state.stackTop == 0)
    }

    @Test func anErrorFromASwiftFunctionNamesTheCallersLine() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "the bridge is not there" } }
        let module = LuaModule(name: "test.net", functions: ["fail": { _ in throw Refused() }])
        let folder = TemporaryFolder()
        let path = folder.write("hook.lua", "local net = require 'test.net'\n\nnet.fail()\n")
        let state = try makeState(modules: [module])
        let error = #expect(throws: LuaError.self) { try state.call(state.load(file: path)) }
        #expect(error?.code == .runtime)
        #expect(error?.file == path)
        #expect(error?.line == 3)
        #expect(error?.message == "test.net.fail: the bridge is not there")
        #expect(state.stackTop == 0)
    }

    @Test func aSwiftErrorCaughtByPcallReadsAsALuaError() throws {
        let module = LuaModule(name: "test.net", functions: ["check": { try [.string($0.string(1))] }])
        let state = try makeState(modules: [module])
        let values = try run(
            state, "local net = require 'test.net'\nreturn pcall(function() return net.check(42) end)\n", name: "p.lua")
        #expect(values == [false, "p.lua:2: bad argument #1 to 'test.net.check' (string expected, got number)"])
    }

    @Test func longPathsAreReportedInFullThoughLuaShortensThem() throws {
        let folder = TemporaryFolder()
        let relative = String(repeating: "deeply-nested-folder/", count: 5) + "hook.lua"
        let path = folder.write(relative, "return {\n  up = function()\n    error('no bridge')\n  end,\n}\n")
        let syntax = folder.write(String(repeating: "another-long-folder/", count: 5) + "bad.lua", "x = = 1")
        #expect(path.utf8.count > 60)
        let state = try makeState()
        let error = #expect(throws: LuaError.self) { try state.call(state.load(file: path), function: "up") }
        #expect(error?.file == path)
        #expect(error?.line == 3)
        #expect(error?.message == "no bridge")
        let syntaxError = #expect(throws: LuaError.self) { try state.load(file: syntax) }
        #expect(syntaxError?.file == syntax)
        #expect(syntaxError?.line == 1)
    }

    @Test func errorWithLevelTwoBlamesTheCaller() throws {
        let state = try makeState()
        let error = failure(
            state, "local function check(x)\n  if not x then error('x is required', 2) end\nend\n\ncheck(nil)\n",
            name: "lvl.lua")
        #expect(error?.line == 5)
    }

    @Test func nonStringErrorObjectsAreShown() throws {
        let state = try makeState()
        #expect(failure(state, "error({ code = 7 })")?.message == "(error object is a table value)")
        #expect(
            failure(state, "error(setmetatable({}, { __tostring = function() return 'custom' end }))")?.message
                == "custom")
        let noPosition = failure(state, "local a = 1\nerror('plain', 0)\n", name: "np.lua")
        #expect(noPosition?.message == "plain")
        #expect(noPosition?.file == "np.lua")
        #expect(noPosition?.line == 2)
    }

    @Test func aMissingFileIsAFileError() throws {
        let state = try makeState()
        let error = #expect(throws: LuaError.self) { try state.load(file: "/nonexistent/hook.lua") }
        #expect(error?.code == .file)
        #expect(error?.errno == .noSuchFileOrDirectory)
        #expect(error?.description == "/nonexistent/hook.lua: cannot read: No such file or directory")
    }

    @Test func aMissingEntryFunctionIsNamed() throws {
        let state = try makeState()
        #expect(throws: LuaError.self) { try run(state, "return 1", function: "up") }
        let error = #expect(throws: LuaError.self) {
            try run(state, "return { down = print }", name: "h.lua", function: "up")
        }
        #expect(error?.code == .missingFunction)
        #expect(error?.description == "h.lua: returned a table whose 'up' is nil, not a function")
    }

    @Test func theLuaPositionParserFindsTheFirstPosition() {
        #expect(LuaState.splitPosition("a/b.lua:12: x: y:3: z")! == ("a/b.lua", 12, "x: y:3: z"))
        #expect(LuaState.splitPosition("no position here") == nil)
        #expect(LuaState.shortSource("@" + String(repeating: "a", count: 59)) == String(repeating: "a", count: 59))
        #expect(
            LuaState.shortSource("@" + String(repeating: "b", count: 60)) == "..." + String(repeating: "b", count: 56))
    }

    @Test func aReplacedChunkCannotBeCalled() throws {
        let state = try makeState()
        let old = try state.load(source: "return 1", name: "same")
        let new = try state.load(source: "return 2", name: "same")
        #expect(try state.call(new) == [2])
        let error = #expect(throws: LuaError.self) { try state.call(old) }
        #expect(error?.code == .file)
    }
}

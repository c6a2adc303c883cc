import Foundation
import Testing

@testable import LuaKit

@Suite("require and Swift modules")
struct ModuleTests {
    @Test func swiftFunctionsAreCallableThroughRequire() throws {
        let module = LuaModule(
            name: "test.math",
            functions: ["add": { args in [.integer(try args.integer(1) + args.integer(2))] }],
            values: ["version": 3])
        let state = try makeState(modules: [module])
        #expect(try run(state, "local m = require 'test.math' return m.add(2, 40), m.version") == [42, 3])
    }

    @Test func eachCallGetsItsOwnCopyOfASwiftModule() throws {
        let module = LuaModule(name: "test.m", functions: ["f": { _ in [] }])
        let state = try makeState(modules: [module])
        try run(state, "local m = require 'test.m' m.f = nil m.extra = 1 assert(require('test.m') == m)")
        #expect(try run(state, "local m = require 'test.m' return type(m.f), m.extra") == ["function", .nil])
    }

    @Test func swiftFunctionsWorkInsideCoroutines() throws {
        let module = LuaModule(name: "test.m", functions: ["twice": { args in [.integer(try args.integer(1) * 2)] }])
        let state = try makeState(modules: [module])
        let values = try run(
            state,
            "local m = require 'test.m' local co = coroutine.wrap(function(x) coroutine.yield(m.twice(x)) return m.twice(x + 1) end) return co(4), co()"
        )
        #expect(values == [8, 10])
    }

    @Test func luaModulesResolveUnderTheirRootsOnly() throws {
        let folder = TemporaryFolder()
        folder.write("lib/site/vlan.lua", "return { parse = function(s) return tonumber(s) end }")
        folder.write("lib/site/init.lua", "return { name = 'site' }")
        folder.write("builtin/network/bridged.lua", "return { mode = 'bridged' }")
        folder.write("outside.lua", "return 'outside'")
        let state = try makeState(roots: [
            LuaModuleRoot(path: folder.path + "/lib"),
            LuaModuleRoot(path: folder.path + "/builtin", prefix: "taphouse.builtin"),
        ])
        let values = try run(
            state,
            """
            return require('site.vlan').parse('42'), require('site').name,
              require('taphouse.builtin.network.bridged').mode, select(2, pcall(require, 'outside'))
            """)
        #expect(values.prefix(3) == [42, "site", "bridged"])
        #expect(values[3].stringValue?.contains("module 'outside' not found:") == true)
        #expect(values[3].stringValue?.contains("no file '\(folder.path)/lib/outside.lua'") == true)
    }

    @Test func aModuleIsLoadedOncePerCallAndAnewForTheNext() throws {
        let folder = TemporaryFolder()
        folder.write(
            "counter.lua", "hits = (hits or 0) + 1 local n = 0 return { bump = function() n = n + 1 return n end }")
        let state = try makeState(roots: [LuaModuleRoot(path: folder.path)])
        let source = "local a = require 'counter' local b = require 'counter' a.bump() return b.bump(), a == b, hits"
        #expect(try run(state, source) == [2, true, 1])
        #expect(try run(state, source) == [2, true, 1])
    }

    @Test func aChangedModuleFileIsReloaded() throws {
        let folder = TemporaryFolder()
        let path = folder.write("m.lua", "return 1")
        let state = try makeState(roots: [LuaModuleRoot(path: folder.path)])
        #expect(try run(state, "return (require 'm')") == [1])
        folder.write("m.lua", "return 22")  // new inode and size
        #expect(try run(state, "return (require 'm')") == [22])
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func aModuleWithASyntaxErrorIsReportedWithItsFileAndLine() throws {
        let folder = TemporaryFolder()
        let path = folder.write("broken.lua", "local x =\n\n+\n")
        let state = try makeState(roots: [LuaModuleRoot(path: folder.path)])
        let error = failure(state, "local a = 1\nlocal b = require 'broken'\n", name: "user.lua")
        #expect(error?.file == "user.lua")
        #expect(error?.line == 2)
        #expect(error?.message.contains("error loading module 'broken' from file '\(path)'") == true)
        #expect(error?.message.contains("\(path):3: unexpected symbol near '+'") == true)
    }

    @Test func aRuntimeErrorInAModuleIsReportedAtTheCallersLineNamingTheModule() throws {
        // The chunk's author can change the chunk, not the library: the error points at the
        // chunk's line that led to it, and keeps the module's position in its message.
        let folder = TemporaryFolder()
        let path = folder.write("bad.lua", "local t = nil\nreturn t.x\n")
        let state = try makeState(roots: [LuaModuleRoot(path: folder.path)])
        let error = failure(state, "local a = 1\nrequire 'bad'")
        #expect(error?.file == "test.lua")
        #expect(error?.line == 2)
        #expect(
            error?.message.hasPrefix("\(path):2: attempt to index a nil value") == true, "\(String(describing: error))")
    }

    @Test func aRequireLoopIsAnErrorNotAStackOverflow() throws {
        let folder = TemporaryFolder()
        folder.write("a.lua", "return require 'b'")
        folder.write("b.lua", "return require 'a'")
        let state = try makeState(roots: [LuaModuleRoot(path: folder.path)])
        let error = failure(state, "require 'a'")
        #expect(error?.message.contains("module 'a' is already being loaded") == true)
    }

    @Test(
        "invalid module names are refused",
        arguments: ["../x", "a/b", "", ".a", "a..b", "a.", "1abc", "a b", "/etc/passwd"])
    func invalidModuleNameIsRefused(name: String) throws {
        let state = try makeState(roots: [LuaModuleRoot(path: "/")])
        let chunk = try state.load(source: "return require(...)", name: "req.lua")
        let thrown = #expect(throws: LuaError.self) { try state.call(chunk, arguments: [.string(name)]) }
        #expect(thrown?.message.contains("is not valid") == true, "\(name): \(String(describing: thrown))")
    }

    @Test func standardLibraryNamesRequireToTheCallsLibraries() throws {
        let state = try makeState()
        #expect(
            try run(state, "return require('string') == string, require('table').concat({1, 2}, '-')") == [true, "1-2"])
    }
}

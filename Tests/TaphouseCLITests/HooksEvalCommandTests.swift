import Foundation
import HostNet
import TestSupport
import Testing

/// Runs the built `taphouse` binary, as an admin would.
struct TaphouseBinary {
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    static var path: String {
        // The test bundle sits next to the products of the same build.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("taphouse").path),
            folder.path != "/"
        {
            folder.deleteLastPathComponent()
        }
        return folder.appendingPathComponent("taphouse").path
    }

    static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:],
        executable: String? = nil
    ) throws -> Result {
        // BlockingCommand (posix_spawn), not Foundation's Process: its run() reads past a buffer
        // while listing /proc/self/fd and crashes now and then (swift-corelibs-foundation #5472),
        // which took the whole test run down.
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = try BlockingCommand.run(
            [executable ?? path] + arguments, timeout: .seconds(600), environment: merged.map { "\($0)=\($1)" },
            directory: directory)
        return Result(status: output.status, output: output.standardOutput, error: output.standardError)
    }
}

@Suite("taphouse hooks eval")
struct HooksEvalCommandTests {
    @Test func printsTheReturnValueAsJSON() throws {
        let folder = TemporaryFolder()
        folder.write(
            "snippet.lua", "print('to stderr')\nreturn { mtu = 1500, ratio = 0.5, tags = { 'a', 'b' }, name = 'br0' }\n"
        )
        let result = try TaphouseBinary.run(["hooks", "eval", "snippet.lua", "--compact"], in: folder.path)
        #expect(result.status == 0)
        #expect(result.output == #"{"mtu":1500,"name":"br0","ratio":0.5,"tags":["a","b"]}"# + "\n")
        #expect(result.error == "to stderr\n")
    }

    @Test func severalValuesPrintAsAnArrayAndNoneAsNull() throws {
        let folder = TemporaryFolder()
        folder.write("two.lua", "return 1, 2.0")
        folder.write("none.lua", "local x = 1")
        #expect(
            try TaphouseBinary.run(["hooks", "eval", "two.lua", "--compact"], in: folder.path).output == "[1,2.0]\n")
        #expect(try TaphouseBinary.run(["hooks", "eval", "none.lua"], in: folder.path).output == "null\n")
    }

    @Test func aFailingFileExitsNonZeroWithFileAndLine() throws {
        let folder = TemporaryFolder()
        folder.write("hooks/network/bridged.lua", "local nic = {}\n\n\nreturn nic.mac.upper()\n")
        let result = try TaphouseBinary.run(["hooks", "eval", "hooks/network/bridged.lua"], in: folder.path)
        #expect(result.status == 1)
        #expect(result.output == "")
        #expect(result.error == "hooks/network/bridged.lua:4: attempt to index a nil value (field 'mac')\n")
    }

    @Test func aSyntaxErrorExitsNonZeroWithFileAndLine() throws {
        let folder = TemporaryFolder()
        folder.write("bad.lua", "return {\n  x = ,\n}\n")
        let result = try TaphouseBinary.run(["hooks", "eval", "bad.lua"], in: folder.path)
        #expect(result.status == 1)
        #expect(result.error == "bad.lua:2: unexpected symbol near ','\n")
    }

    @Test func theTimeoutAndMemoryBudgetsAreTheOnesGiven() throws {
        let folder = TemporaryFolder()
        folder.write("spin.lua", "while true do end")
        folder.write("bomb.lua", "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end")
        let spin = try TaphouseBinary.run(["hooks", "eval", "spin.lua", "--timeout-ms", "150"], in: folder.path)
        #expect(spin.status == 1)
        #expect(spin.error == "spin.lua:1: time budget of 150 ms exhausted\n")
        let bomb = try TaphouseBinary.run(["hooks", "eval", "bomb.lua", "--memory-mb", "4"], in: folder.path)
        #expect(bomb.status == 1)
        #expect(bomb.error.hasPrefix("bomb.lua") && bomb.error.contains("memory budget of 4194304 bytes exhausted"))
    }

    @Test func modulesLoadFromTheLuaPathsGiven() throws {
        let folder = TemporaryFolder()
        folder.write("lib/site/policy.lua", "return { bridge = function(tags) return tags[1] or 'br0' end }")
        folder.write(
            "use.lua", "local log = require 'taphouse.log'\nreturn require('site.policy').bridge({ 'br-dmz' })\n")
        let without = try TaphouseBinary.run(["hooks", "eval", "use.lua"], in: folder.path)
        #expect(without.status == 1)
        #expect(without.error.hasPrefix("use.lua:2: module 'site.policy' not found:"))
        let with = try TaphouseBinary.run(["hooks", "eval", "use.lua", "--lua-path", "lib"], in: folder.path)
        #expect(with.status == 0)
        #expect(with.output == "\"br-dmz\"\n")
    }

    @Test func theTracebackIsPrintedOnRequest() throws {
        let folder = TemporaryFolder()
        folder.write("e.lua", "local function f() error('deep') end\nf()\n")
        let result = try TaphouseBinary.run(["hooks", "eval", "e.lua", "--traceback"], in: folder.path)
        #expect(result.status == 1)
        #expect(result.error.hasPrefix("e.lua:1: deep\nstack traceback:\n"))
        #expect(result.error.contains("e.lua:2: in main chunk"))
    }

    @Test func badOptionsAreRefusedWithTheirName() throws {
        let result = try TaphouseBinary.run(["hooks", "eval", "x.lua", "--timeout-ms", "0"])
        #expect(result.status != 0)
        #expect(result.error.contains("--timeout-ms must be positive"))
    }

    @Test func versionAndHelp() throws {
        let version = try TaphouseBinary.run(["--version"])
        #expect(version.status == 0)
        let lines = version.output.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first == "taphouse 0.1.0")
        // The Lua the library is, and the headers it was built with.
        #expect(lines.dropFirst().first?.hasPrefix("Lua 5.4.") == true)
        #expect(lines.dropFirst().first?.contains("(built with 5.4.") == true)
        // The qemu this node has, or why none is usable: never a failure of --version.
        let qemu = lines.last.map(String.init) ?? ""
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64") {
            #expect(qemu.hasPrefix("qemu ") && qemu.hasSuffix(" at /usr/bin/qemu-system-x86_64"), "\(qemu)")
        } else {
            #expect(qemu.hasPrefix("qemu: none usable at /usr/bin/qemu-system-x86_64"), "\(qemu)")
        }
        let help = try TaphouseBinary.run(["hooks", "eval", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("--lua-path"))
    }
}

@Suite("The demo's examples")
struct ExampleTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func theBridgePolicySnippetPicksBridgesFromTags() throws {
        let result = try TaphouseBinary.run(
            ["hooks", "eval", "examples/eval/bridge-from-tag.lua", "--lua-path", "examples/eval/lib", "--compact"],
            in: Self.repository)
        #expect(result.status == 0)
        #expect(result.output == #"{"db1.example.org":"br0","web1.example.org":"br-dmz"}"# + "\n")
        #expect(result.error.contains("bridge plan computed"))
    }

    @Test func theBrokenSnippetFailsAtItsLine() throws {
        let result = try TaphouseBinary.run(["hooks", "eval", "examples/eval/broken.lua"], in: Self.repository)
        #expect(result.status == 1)
        #expect(result.error == "examples/eval/broken.lua:4: attempt to index a nil value (field 'mac')\n")
    }

    @Test func theRunawaySnippetIsStopped() throws {
        let result = try TaphouseBinary.run(
            ["hooks", "eval", "examples/eval/runaway.lua", "--timeout-ms", "100"], in: Self.repository)
        #expect(result.status == 1)
        #expect(result.error.hasSuffix("time budget of 100 ms exhausted\n"))
    }

    @Test func theCoroutineCloseNestingThatCrashesLua544IsRefused() throws {
        // Plain Lua 5.4.4 (Debian 12's) segfaults on this: each __close closes the coroutine
        // before it, 20,000 deep, and the C stack runs out.
        let folder = TemporaryFolder()
        folder.write(
            "nest.lua",
            """
            local coro = false
            for i = 1, 20000 do
              local previous = coro
              coro = coroutine.create(function()
                local cc <close> = setmetatable({}, { __close = function()
                  if previous then assert(coroutine.close(previous)) end
                end })
                coroutine.yield()
              end)
              assert(coroutine.resume(coro))
            end
            local ok, err = coroutine.close(coro)
            return ok, (err:match("coroutine.close nested more than 100 deep[^\\n]*"))
            """)
        let result = try TaphouseBinary.run(["hooks", "eval", "nest.lua", "--compact"], in: folder.path)
        #expect(result.status == 0, "\(result.error)")
        #expect(
            result.output
                == #"[false,"coroutine.close nested more than 100 deep (in __close handlers): refused, as Lua 5.4.4 would overflow the C stack"]"#
                + "\n")
    }
}

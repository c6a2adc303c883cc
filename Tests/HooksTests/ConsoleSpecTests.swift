import Foundation
import LuaKit
import TestSupport
import Testing

@testable import Hooks

/// Console cases in hook specs: strict like network cases, and strong enough that a console hook
/// that changes the default fails the built-in console spec.
@Suite("Console cases in hook specs")
struct ConsoleSpecTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func run(_ spec: String, builtin: String = repository + "/hooks") -> [HookSpecResult] {
        let folder = TemporaryFolder()
        let file = folder.write("case_spec.lua", spec)
        let runner = HookSpecRunner(
            directories: HookDirectories(builtin: builtin, site: nil, library: repository + "/lua"))
        return runner.run(files: [file])
    }

    static func failures(_ results: [HookSpecResult]) -> [String] {
        results.flatMap { result -> [String] in
            if case .failed(let lines) = result.outcome { return lines }
            return []
        }
    }

    @Test func aConsoleCaseRefusesNetworkAndUnknownFieldsByPath() {
        let results = Self.run(
            """
            local test = require "taphouse.test"
            test.case("nic", { console = {}, nic = { LINK = "br0" } })
            test.case("hvparam", { console = { instance = { hvparams = { vnc_bind = "0.0.0.0" } } } })
            test.case("port", { console = {}, expect = { console = { kind = "vnc", host = "h", port = "5901", display = 1 } } })
            test.case("both", { console = {}, expect = { console = { kind = "message", message = "m" }, error = "x" } })
            """)
        let failures = Self.failures(results)
        #expect(failures.count == 4)
        #expect(failures[0].hasPrefix("the case cannot run: nic: unknown field"))
        #expect(failures[1] == "the case cannot run: console.instance.hvparams.vnc_bind: unknown hypervisor parameter")
        #expect(failures[2] == "the case cannot run: expect.console.port: expected an integer, got a string")
        #expect(failures[3] == "the case cannot run: expect: give either console or error, not both")
    }

    @Test func aDifferentConsoleOrAMissingErrorIsAFailure() {
        let results = Self.run(
            """
            local test = require "taphouse.test"
            test.case("differs", {
              console = { instance = { hvparams = { serial_console = false } } },
              expect = { console = { kind = "message", message = "something else" } },
            })
            test.case("no error", { console = {}, expect = { error = "boom" } })
            test.case("default", { console = {} })
            """)
        let failures = Self.failures(results)
        #expect(failures.count == 2)
        #expect(
            failures[0].hasPrefix(
                "the console differs\n  expected: {\"kind\":\"message\",\"message\":\"something else\"}"))
        #expect(failures[1].hasPrefix("console succeeded\n  expected: an error containing \"boom\""))
        #expect(results[2].outcome == .passed)
    }

    @Test func aConsoleHookThatChangesTheDefaultFailsTheBuiltInSpec() throws {
        let folder = TemporaryFolder()
        _ = folder.write(
            "hooks/console.lua",
            "return { console = function(instance, default) if default.port then default.port = default.port + 1 end return default end }"
        )
        let runner = HookSpecRunner(
            directories: HookDirectories(
                builtin: folder.path + "/hooks", site: nil, library: Self.repository + "/lua"))
        let results = runner.run(files: [Self.repository + "/hooks/spec/console_spec.lua"])
        #expect(!Self.failures(results).isEmpty)
    }
}

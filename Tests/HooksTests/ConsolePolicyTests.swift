import Foundation
import Logging
import LuaKit
import QEMU
import TestSupport
import Testing

@testable import Hooks

/// The console policy hook: the built-in returns the native description, a site hook replaces
/// it, and every bad return is refused with the hook's file:line and the field.
@Suite("Console policy hook")
struct ConsolePolicyTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let instance = ConsoleInstanceView(
        name: "web1.example.com", primaryNode: "node1.example.com", networkPort: 5901,
        tags: ["console:proxy", "web"], hvparams: .defaults)
    static let native = ConsoleDescription.ssh(
        host: "node1.example.com", port: 22, user: "root",
        command: ["taphouse", "instance", "console", "web1.example.com"])

    /// A policy with the site's console.lua as `source` (none when nil), and small budgets.
    static func policy(site source: String?, folder: TemporaryFolder) -> ConsolePolicy {
        if let source { _ = folder.write("site/console.lua", source) }
        return ConsolePolicy(
            directories: HookDirectories(
                builtin: repository + "/hooks", site: folder.path + "/site", library: repository + "/lua"),
            limits: LuaLimits(timeout: .milliseconds(200), memoryBytes: 16 << 20),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// The refusal of a site hook, checked to name the hook file.
    static func refusal(_ source: String) -> HookError? {
        let folder = TemporaryFolder()
        let error = #expect(throws: HookError.self) {
            try policy(site: source, folder: folder).apply(instance: instance, default: native)
        }
        #expect(error?.hookFile == folder.path + "/site/console.lua")
        #expect(error?.instance == "web1.example.com")
        return error
    }

    @Test func theBuiltInHookReturnsTheDefaultUnchanged() throws {
        let folder = TemporaryFolder()
        let policy = Self.policy(site: nil, folder: folder)
        #expect(try policy.hookFile() == (Self.repository + "/hooks/console.lua", true))
        for description: ConsoleDescription in [
            Self.native, .vnc(host: "0.0.0.0", port: 5901, display: 1), .spice(host: "h", port: 6100, tlsPort: 6100),
            .message("No serial shell for instance web1.example.com"),
        ] {
            #expect(try policy.apply(instance: Self.instance, default: description) == description)
        }
    }

    @Test func aSiteHookThatChangesHostAndPortIsServedFirst() throws {
        let folder = TemporaryFolder()
        let policy = Self.policy(
            site: """
                return { console = function(instance, default)
                  default.host = "console-gw.example.com"
                  default.port = 2200 + instance.network_port - 5900
                  return default
                end }
                """, folder: folder)
        #expect(try policy.hookFile() == (folder.path + "/site/console.lua", false))
        #expect(
            try policy.apply(instance: Self.instance, default: Self.native)
                == .ssh(
                    host: "console-gw.example.com", port: 2201, user: "root",
                    command: ["taphouse", "instance", "console", "web1.example.com"]))
    }

    @Test func aSiteHookCanReturnAMessageAndReadTheInstance() throws {
        let folder = TemporaryFolder()
        let policy = Self.policy(
            site: """
                local base = require "taphouse.builtin.console"
                return { console = function(instance, default)
                  if instance.hvparams.serial_console and #instance.tags == 2 and instance.tags[1] == "console:proxy" then
                    return { kind = "message", message = "use the proxy for " .. instance.name }
                  end
                  return base.console(instance, default)
                end }
                """, folder: folder)
        #expect(
            try policy.apply(instance: Self.instance, default: Self.native)
                == .message("use the proxy for web1.example.com"))
    }

    @Test func theInstanceTableHasTheConsoleFields() throws {
        let folder = TemporaryFolder()
        let policy = Self.policy(
            site: """
                return { console = function(instance, default)
                  local names = {}
                  for key in pairs(instance) do names[#names + 1] = key end
                  for key in pairs(instance.hvparams) do names[#names + 1] = "hvparams." .. key end
                  table.sort(names)
                  return { kind = "message", message = table.concat(names, " ") }
                end }
                """, folder: folder)
        let expected =
            (["name", "primary_node", "network_port", "tags", "hvparams"]
            + ConsoleRules.parameters.map { "hvparams." + $0 }).sorted().joined(separator: " ")
        #expect(try policy.apply(instance: Self.instance, default: Self.native) == .message(expected))
    }

    @Test func writingToTheInstanceRaisesAtTheWritingLine() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              instance.name = "other"
              return default
            end }
            """)
        #expect(error?.code == .hook)
        #expect(error?.line == 2)
        #expect(error?.message == "cannot set instance.name: instance is read-only")
        let nested = Self.refusal(
            """
            return { console = function(instance, default)
              table.insert(instance.tags, "x")
              return default
            end }
            """)
        #expect(nested?.message == "cannot set instance.tags[3]: instance.tags is read-only")
        #expect(nested?.line == 2)
    }

    @Test func anUnknownKindIsRefusedAtTheFunctionsLine() {
        let error = Self.refusal(
            """
            local M = {}

            function M.console(instance, default)
              return { kind = "rdp", host = "h", port = 3389 }
            end

            return M
            """)
        #expect(error?.code == .badHook)
        #expect(error?.line == 3)
        #expect(
            error?.message
                == #"console returned a bad description: kind: "rdp" is not a console kind (ssh, vnc, spice, message)"#
        )
        #expect(error?.description.hasPrefix("instance web1.example.com: ") == true)
        #expect(error?.description.contains("/site/console.lua:3: console returned a bad description: kind:") == true)
    }

    @Test(arguments: [0, 65536])
    func aPortOutOfRangeIsRefused(port: Int) {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              return { kind = "vnc", host = "0.0.0.0", port = \(port), display = 1 }
            end }
            """)
        #expect(error?.line == 1)
        #expect(error?.message == "console returned a bad description: port: \(port) is not a port (1-65535)")
    }

    @Test func aStringPortIsRefused() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              return { kind = "vnc", host = "0.0.0.0", port = "5901", display = 1 }
            end }
            """)
        #expect(error?.message == "console returned a bad description: port: expected an integer, got a string")
        #expect(error?.line == 1)
    }

    @Test func aMissingFieldIsRefused() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              default.user = nil
              return default
            end }
            """)
        #expect(error?.message == "console returned a bad description: user: a value is required")
        #expect(error?.line == 1)
    }

    @Test func anExtraFieldIsRefused() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              default.display = 1
              return default
            end }
            """)
        #expect(error?.message == "console returned a bad description: display: kind ssh has no display (only vnc has)")
        #expect(error?.line == 1)
    }

    @Test func aNonTableReturnIsRefused() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              return "ssh"
            end }
            """)
        #expect(error?.message == "console returned string, not a console description table")
        #expect(error?.line == 1)
        let nothing = Self.refusal("return { console = function() end }")
        #expect(nothing?.message == "console returned nil, not a console description table")
    }

    @Test func aFunctionInTheReturnIsRefusedByItsField() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              return { kind = "message", message = print }
            end }
            """)
        #expect(error?.message == "console returned a bad description: message: expected data, got a function")
    }

    @Test func aHookErrorNamesItsLine() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)

              error("no console for " .. instance.name)
            end }
            """)
        #expect(error?.code == .hook)
        #expect(error?.line == 3)
        #expect(error?.message == "no console for web1.example.com")
    }

    @Test func aHookThatLoopsIsStoppedByTheBudget() {
        let error = Self.refusal(
            """
            return { console = function(instance, default)
              while true do end
            end }
            """)
        #expect(error?.code == .hook)
        #expect(error?.line == 2)
        #expect(error?.message.contains("time budget") == true)
    }

    @Test func aFileWithoutAConsoleFunctionIsABadHook() {
        let error = Self.refusal("return { up = function() end }")
        #expect(error?.code == .badHook)
        #expect(error?.message == "returned a table whose 'console' is nil, not a function")
        let folder = TemporaryFolder()
        let path = folder.write("console.lua", "return { up = function() end }")
        let sandbox = HookSandbox(logger: Logger(label: "test"))
        #expect(ConsolePolicy.check(path, sandbox: sandbox) == "\(path): the returned table has no console function")
        #expect(ConsolePolicy.check(Self.repository + "/hooks/console.lua", sandbox: sandbox) == nil)
    }

    @Test func theHostFunctionsRefuseInAConsoleHook() {
        let error = Self.refusal(
            """
            local net = require "taphouse.net"
            return { console = function(instance, default)
              net.set_up("tap0")
              return default
            end }
            """)
        #expect(error?.line == 3)
        #expect(error?.message.contains("can only be used while a hook runs") == true)
    }

    @Test func theStateIsWarmAndAChangedHookIsReloaded() throws {
        let folder = TemporaryFolder()
        let policy = Self.policy(
            site: #"return { console = function() return { kind = "message", message = "one" } end }"#,
            folder: folder)
        #expect(try policy.apply(instance: Self.instance, default: Self.native) == .message("one"))
        _ = folder.write(
            "site/console.lua", #"return { console = function() return { kind = "message", message = "two!" } end }"#)
        #expect(try policy.apply(instance: Self.instance, default: Self.native) == .message("two!"))
    }
}

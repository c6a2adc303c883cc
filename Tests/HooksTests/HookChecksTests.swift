import Foundation
import Logging
import LuaKit
import TestSupport
import Testing

@testable import Hooks

#if canImport(Glibc)
import Glibc
#endif

/// `taphouse hooks check`'s checks: a hook that only hands its NICs to Ganeti scripts is checked
/// for those scripts when it loads, not at the first start that needs them.
@Suite("Hook checks")
struct HookChecksTests {
    let folder = TemporaryFolder()

    func check(_ hook: String) -> String? {
        let file = folder.write("site/network/bridged.lua", hook)
        let sandbox = HookSandbox(
            moduleRoots: HookDirectories(
                builtin: NetworkHookRunnerTests.repository + "/hooks", site: folder.path + "/site",
                library: NetworkHookRunnerTests.repository + "/lua"
            ).moduleRoots, logger: Logger(label: "test"))
        return HookChecks.network(file, sandbox: sandbox)
    }

    @Test func aGanetiScriptsFolderNeedsAnExecutableUpAndDown() throws {
        let scripts = folder.path + "/ganeti/network/bridged"
        let hook = "local ganeti = require 'taphouse.ganeti'\nreturn ganeti.scripts('\(scripts)')\n"
        let site = folder.path + "/site/network/bridged.lua"
        chmod(folder.write("ganeti/network/bridged/up", "#!/bin/sh\n"), 0o755)
        // A tail call: the hook's frame is gone, so the error names the file, at no line.
        #expect(
            check(hook)?.hasPrefix("\(site): \(NetworkHookRunnerTests.repository)/lua/taphouse/ganeti.lua:") == true)
        #expect(
            check("local ganeti = require 'taphouse.ganeti'\nlocal hook = ganeti.scripts('\(scripts)')\nreturn hook\n")?
                .hasPrefix("\(site):2: ") == true)
        #expect(check(hook)?.hasSuffix(": \(scripts)/down: no such script") == true)
        folder.write("ganeti/network/bridged/down", "#!/bin/sh\n")
        #expect(check(hook)?.hasSuffix(": \(scripts)/down: not executable") == true)
        chmod(scripts + "/down", 0o755)
        #expect(check(hook) == nil)
        #expect(
            check("return require('taphouse.ganeti').script('\(scripts)/missing')\n")?.hasSuffix(
                "\(scripts)/missing: no such script") == true)
    }
}

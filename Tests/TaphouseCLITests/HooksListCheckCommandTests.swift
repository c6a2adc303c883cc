import Foundation
import TestSupport
import Testing

@Suite("taphouse hooks list and check")
struct HooksListCheckCommandTests {
    @Test func listShowsTheFileServingEachModeSiteFirst() throws {
        let folder = TemporaryFolder()
        folder.write("site/network/routed.lua", "return { up = function() end }")
        let result = try TaphouseBinary.run(["hooks", "list", "--hooks-dir", folder.path + "/site"])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[0] == "bridged\t\(ExampleTests.repository)/hooks/network/bridged.lua (built-in)")
        #expect(lines[1] == "routed\t\(folder.path)/site/network/routed.lua (site)")
        #expect(lines[3] == "ext\tnone: mode ext needs a site hook")
        #expect(lines[4] == "console\t\(ExampleTests.repository)/hooks/console.lua (built-in)")
        #expect(lines[5] == "instance\t\(ExampleTests.repository)/hooks/instance.lua (built-in)")
        folder.write("site/console.lua", "return { console = function(instance, default) return default end }")
        folder.write("site/instance.lua", "return { pre_start = function(instance) end }")
        let site = try TaphouseBinary.run(["hooks", "list", "--hooks-dir", folder.path + "/site"])
        #expect(site.output.contains("console\t\(folder.path)/site/console.lua (site)\n"))
        #expect(site.output.hasSuffix("instance\t\(folder.path)/site/instance.lua (site)\n"))
    }

    @Test func checkPassesTheBuiltInHooks() throws {
        let folder = TemporaryFolder()
        let result = try TaphouseBinary.run(["hooks", "check", "--hooks-dir", folder.path])
        #expect(result.status == 0, "\(result.error)")
        for mode in ["bridged", "routed", "openvswitch"] {
            #expect(result.output.contains("ok\t\(ExampleTests.repository)/hooks/network/\(mode).lua\n"))
        }
        #expect(result.output.contains("ok\t\(ExampleTests.repository)/hooks/console.lua\n"))
        #expect(result.output.contains("ok\t\(ExampleTests.repository)/hooks/instance.lua\n"))
        #expect(result.output.contains("note\tno site hook for mode ext"))
    }

    @Test func checkRefusesABrokenSiteHookWithFileAndLine() throws {
        let folder = TemporaryFolder()
        folder.write("network/bridged.lua", "local x = {\nreturn x\n")
        folder.write("network/routed.lua", "return { down = function() end }")
        folder.write("network/vxlan.lua", "return { up = function() end }")
        folder.write("console.lua", "return { consol = function(instance, default) return default end }")
        folder.write(
            "network/ext.lua", "local net = require 'taphouse.net'\nreturn { up = function(nic) end, down = 5 }")
        let result = try TaphouseBinary.run(["hooks", "check", "--hooks-dir", folder.path])
        #expect(result.status == 1)
        let errors = result.error.split(separator: "\n").map(String.init)
        #expect(errors.contains("\(folder.path)/network/bridged.lua:2: unexpected symbol near 'return'"))
        #expect(errors.contains("\(folder.path)/network/routed.lua: the returned table has no up function"))
        #expect(
            errors.contains(
                "\(folder.path)/network/vxlan.lua: vxlan is not a NIC mode (bridged, routed, openvswitch, ext)"))
        #expect(errors.contains("\(folder.path)/network/ext.lua: down is a number, not a function"))
        #expect(errors.contains("\(folder.path)/console.lua: the returned table has no console function"))
    }
}

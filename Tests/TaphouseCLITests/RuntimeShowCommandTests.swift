import Foundation
import TestSupport
import Testing

@Suite("taphouse runtime show")
struct RuntimeShowCommandTests {
    static let fixture = PlanCommandTests.fixtures + "/ganeti-kvm_runtime.json"

    @Test func aGanetiRuntimeIsShownUpgradedWithTheUpgradesOnStandardError() throws {
        let result = try TaphouseBinary.run(["runtime", "show", Self.fixture])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.hasPrefix("argv:\n  /usr/bin/kvm\n  -name\n  xen-test-inst2\n"))
        #expect(result.output.contains("\n  -device\n  virtio-balloon\n"))
        #expect(!result.output.contains("\n  -balloon\n"))
        #expect(
            result.output.contains(
                "0: aa:00:00:bf:2f:16 bridged link=br0 nic-003fc157-66a8-4e6d virtio-net-pci bus=pci.0 addr=0x8"))
        #expect(result.error.contains("upgraded: -balloon virtio -> -device virtio-balloon\n"))
    }

    @Test func jsonIsTaphousesFormatAndLoadsBackUnchanged() throws {
        let folder = TemporaryFolder()
        let first = try TaphouseBinary.run(["runtime", "show", Self.fixture, "--json"])
        #expect(first.status == 0)
        let saved = folder.write("inst.runtime", first.output)
        let second = try TaphouseBinary.run(["runtime", "show", saved, "--json"])
        #expect(second.status == 0)
        #expect(second.output == first.output)
        #expect(second.error == "")  // nothing left to upgrade
        let array = try #require(try JSONSerialization.jsonObject(with: Data(first.output.utf8)) as? [Any])
        #expect(array.count == 4)
    }

    @Test func aBrokenRuntimeFailsWithOneLineNamingTheField() throws {
        let folder = TemporaryFolder()
        let path = folder.write("bad.runtime", #"[["/usr/bin/kvm", {"x": 1}], [], {}]"#)
        let result = try TaphouseBinary.run(["runtime", "show", path])
        #expect(result.status == 1)
        #expect(result.error.hasPrefix("\(path)[0][1]: "))
        #expect(result.error.split(separator: "\n").count == 1)
    }
}

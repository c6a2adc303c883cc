import QEMU
import Testing

@testable import Node

@Suite("The uid pool's notation")
struct UIDPoolTests {
    @Test func rangesAndSingleUidsAsGanetiWritesThem() throws {
        let pool = try UIDPool.parse("1000-1002, 8000\n9000-9001")
        #expect(pool.ranges == [1000...1002, 8000...8000, 9000...9001])
        #expect(pool.uids == [1000, 1001, 1002, 8000, 9000, 9001])
        #expect(pool.contains(1001) && !pool.contains(1003))
        #expect(try UIDPool.parse("").ranges.isEmpty)
    }

    @Test(arguments: ["5-1", "1-2-3", "x", "-5", "4294967296", "1000-"])
    func anythingElseIsRefusedNamingTheEntry(_ text: String) {
        #expect(throws: SpecError.self) { try UIDPool.parse(text) }
        let error = #expect(throws: SpecError.self) { try UIDPool.parse("100," + text) }
        #expect(error?.description.hasPrefix("uid_pool: \"\(text)\"") == true)
    }
}

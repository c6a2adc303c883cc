import Logging
import LuaKit
import Testing

@testable import Hooks

/// What the `taphouse.*` modules return counts against the hook's memory budget, as anything
/// the hook makes itself.
@Suite("Module results and the memory budget")
struct HookModuleBudgetTests {
    @Test func aVLANListTooBigForTheBudgetIsRefusedNotBuilt() throws {
        let sandbox = HookSandbox(
            // The time budget is far off: what is checked is the memory budget, on a machine however loaded.
            limits: LuaLimits(timeout: .seconds(120), memoryBytes: 32 << 20), logger: Logger(label: "test"))
        let state = try sandbox.makeState()
        // Two million trunks: the text fits the budget; the table of them would not.
        let chunk = try state.load(
            source: """
                local vlan = require "taphouse.vlan"
                local text = ":" .. ("4094:"):rep(2000000) .. "1"
                local ok, err = pcall(vlan.parse, text)
                return ok
                """, name: "trunks.lua")
        let error = #expect(throws: LuaError.self) { try state.call(chunk) }
        #expect(error?.code == .memory, "\(String(describing: error))")
        #expect(state.memoryInUse < 40 << 20)
        // The state serves the next call.
        #expect(try state.call(try state.load(source: "return 1", name: "next.lua")) == [1])
    }
}

import Hooks
import QEMU
import Testing

/// The binary form of NIC calls between the node and a hook worker.
@Suite("Hook worker wire")
struct HookWorkerWireTests {
    static let setup = HookWorkerSetup(
        directories: HookDirectories(builtin: "/b", site: "/s", library: "/l"), stateDirectory: "/state")

    static func calls() -> [NICHookCall] {
        var calls = (0..<3).map { index in
            NICHookCall(
                action: index == 1 ? .down : .up, instance: "web\(index)", tags: ["t\(index)", "x"],
                nic: NICSpec(
                    mac: "aa:00:00:00:00:0\(index)", ip: index == 2 ? "192.0.2.\(index)" : nil,
                    uuid: "003fc157-66a8-4e6d-8b7e-ec4f6975139\(index)", mode: "bridged", link: "br\(index)"),
                index: index, interface: "tap\(index)")
        }
        calls[0].phase = .pre
        calls[2].phase = .post
        calls[2].dryRun = true
        return calls
    }

    static func same(_ a: NICHookCall, _ b: NICHookCall) -> Bool {
        a.action == b.action && a.instance == b.instance && a.tags == b.tags && a.nic == b.nic && a.index == b.index
            && a.interface == b.interface && a.phase == b.phase && a.dryRun == b.dryRun
    }

    @Test func severalNICCallsTravelInOrderWithEveryField() throws {
        var setups: [UInt64: HookWorkerSetup] = [:]
        let sent = Self.calls()
        let decoded = try HookWorkerWire.decodeRequest(
            try HookWorkerWire.encode(.nics(Self.setup, sent), setupNumber: 7, sendSetup: true), setups: &setups)
        guard case .nics(let setup, let back) = decoded else {
            Issue.record("not several NIC calls: \(decoded)")
            return
        }
        #expect(setup == Self.setup)
        #expect(back.count == sent.count)
        for (a, b) in zip(sent, back) { #expect(Self.same(a, b), "\(a) became \(b)") }
        // The setup goes once; after that its number stands for it.
        let again = try HookWorkerWire.decodeRequest(
            try HookWorkerWire.encode(.nics(Self.setup, sent), setupNumber: 7, sendSetup: false), setups: &setups)
        guard case .nics(let known, _) = again else { return }
        #expect(known == Self.setup)
    }

    @Test func aShortOrUnknownSetupIsAnErrorNotACrash() throws {
        let bytes = try HookWorkerWire.encode(.nics(Self.setup, Self.calls()), setupNumber: 1, sendSetup: true)
        for length in stride(from: 1, to: bytes.count, by: 7) {
            var setups: [UInt64: HookWorkerSetup] = [:]
            #expect(throws: (any Error).self) {
                try HookWorkerWire.decodeRequest(Array(bytes.prefix(length)), setups: &setups)
            }
        }
        var none: [UInt64: HookWorkerSetup] = [:]
        #expect(throws: (any Error).self) {
            try HookWorkerWire.decodeRequest(
                try HookWorkerWire.encode(.nics(Self.setup, Self.calls()), setupNumber: 2, sendSetup: false),
                setups: &none)
        }
    }
}

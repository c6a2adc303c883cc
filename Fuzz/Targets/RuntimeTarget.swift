import QEMU

/// The runtime file (taphouse's, Ganeti's 2012 and 2026): one that loads, saved and loaded
/// again, is the same runtime, with nothing left to upgrade.
enum RuntimeTarget: FuzzTarget {
    static let name = "runtime"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let loaded = try? QemuRuntime.load(input) else { return }
        let saved = loaded.runtime.serialized()
        let again: LoadedRuntime
        do {
            again = try QemuRuntime.load(saved)
        } catch {
            throw FuzzFinding("a loaded runtime, saved, does not load: \(error)")
        }
        guard again.runtime == loaded.runtime else { throw FuzzFinding("a runtime saved and loaded again differs") }
        guard again.upgrades.isEmpty else { throw FuzzFinding("a saved runtime still upgrades: \(again.upgrades)") }
    }
}

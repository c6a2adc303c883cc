/// A runtime file as `QemuRuntime.load` read it: the runtime, and what loading changed on the way
/// so that the caller can tell the operator (a runtime written by taphouse itself comes back with
/// both lists empty).
public struct LoadedRuntime: Sendable, Hashable {
    /// The runtime, upgraded to the current layout.
    public var runtime: QemuRuntime
    /// One short description per change made to the file's content, in the order they were made:
    /// Ganeti's older argv forms rewritten, NIC uuids generated, legacy PCI slots turned into
    /// `hvinfo`, parameters the file lacked taken from the catalog.
    public var upgrades: [String]
    /// Names (sorted) of hypervisor parameters in the file that taphouse's catalog does not know;
    /// their values were dropped.
    public var droppedParameters: [String]

    /// Creates a load result.
    public init(runtime: QemuRuntime, upgrades: [String] = [], droppedParameters: [String] = []) {
        self.runtime = runtime
        self.upgrades = upgrades
        self.droppedParameters = droppedParameters
    }
}

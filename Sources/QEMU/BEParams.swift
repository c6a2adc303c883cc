/// Ganeti's backend parameters that reach qemu: memory and vCPUs.
public struct BEParams: Sendable, Hashable, Codable {
    /// Memory in MiB (`-m`), Ganeti's `maxmem` (`memory` in older specs).
    public var maxmem: Int
    /// The balloon floor in MiB.
    public var minmem: Int
    public var vcpus: Int
    public var autoBalance: Bool
    public var alwaysFailover: Bool
    public var spindleUse: Int

    enum CodingKeys: String, CodingKey {
        case maxmem, minmem, vcpus
        case autoBalance = "auto_balance"
        case alwaysFailover = "always_failover"
        case spindleUse = "spindle_use"
    }

    /// Ganeti's defaults: 128 MiB, 1 vCPU.
    public static let defaults = BEParams(
        maxmem: 128, minmem: 128, vcpus: 1, autoBalance: true, alwaysFailover: false, spindleUse: 1)
}

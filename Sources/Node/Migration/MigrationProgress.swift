import Foundation
import QEMU

/// One look at a running migration (qemu's `query-migrate` on the source).
public struct MigrationProgress: Sendable, Hashable, Codable {
    public var status: String
    /// Milliseconds since `migrate`.
    public var elapsed: Int64
    public var transferred: Int64
    public var remaining: Int64
    public var total: Int64
    /// What qemu sends now, in Mbit/s.
    public var mbps: Double
    /// Bytes the guest dirties per second.
    public var dirtyRate: Int64
    /// Passes over RAM so far.
    public var passes: Int64

    /// How much of RAM is across, 0 to 100.
    public var percent: Double {
        total > 0 ? Double(max(0, total - remaining)) * 100 / Double(total) : 0
    }

    enum CodingKeys: String, CodingKey {
        case status, elapsed = "elapsed_ms", transferred, remaining, total, mbps, dirtyRate = "dirty_rate", passes
    }

    /// From `query-migrate`'s answer; nil when it holds no status.
    public init?(_ answer: JSONValue) {
        guard let status = answer["status"]?.stringValue else { return nil }
        self.status = status
        elapsed = answer["total-time"]?.intValue ?? 0
        let ram = answer["ram"]
        transferred = ram?["transferred"]?.intValue ?? 0
        remaining = ram?["remaining"]?.intValue ?? 0
        total = ram?["total"]?.intValue ?? 0
        if case .double(let rate)? = ram?["mbps"] { mbps = rate } else { mbps = Double(ram?["mbps"]?.intValue ?? 0) }
        dirtyRate = (ram?["dirty-pages-rate"]?.intValue ?? 0) * (ram?["page-size"]?.intValue ?? 4096)
        passes = ram?["dirty-sync-count"]?.intValue ?? 0
    }

    /// The terminal's progress line: `active  42.0%  1024.0 MiB/s  54.0 MiB left  dirty 1.2 MiB/s`.
    public var line: String {
        let mib = { (bytes: Int64) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        return [
            status, String(format: "%5.1f%%", percent), String(format: "%.1f MiB/s", mbps / 8 * 1e6 / 1_048_576),
            "\(mib(remaining)) left", "dirty \(mib(dirtyRate))/s",
        ].joined(separator: "  ")
    }
}

import Foundation
import QEMU

/// The uids `security_model=pool` hands out, in Ganeti's notation: `1000-5000,8000,9000-9010`
/// (or one entry per line), inclusive ranges with one hyphen.
public struct UIDPool: Sendable, Hashable {
    public var ranges: [ClosedRange<UInt32>]

    public init(ranges: [ClosedRange<UInt32>]) { self.ranges = ranges }

    /// Parses the notation; an empty text is an empty pool.
    public static func parse(_ text: String) throws(SpecError) -> UIDPool {
        var ranges: [ClosedRange<UInt32>] = []
        for entry in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let item = entry.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let low = UInt32(bounds[0]), let high = UInt32(bounds.last!), low <= high else {
                throw SpecError("uid_pool", "\"\(item)\" is not a uid or a range low-high of uids (0-4294967295)")
            }
            ranges.append(low...high)
        }
        return UIDPool(ranges: ranges)
    }

    /// Whether `uid` is in the pool.
    public func contains(_ uid: UInt32) -> Bool { ranges.contains { $0.contains(uid) } }

    /// Every uid of the pool (ranges as written; a node's pool is a few thousand at most).
    var uids: [UInt32] { ranges.flatMap { Array($0) } }
}

import QEMU

/// qemu's `--help`, `-machine help` and `-device help` text (the three from one input, split at
/// the first two NUL bytes): reading is deterministic.
enum QemuHelpTarget: FuzzTarget {
    static let name = "qemu-help"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        let parts = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        func read() -> Result<QemuFeatures, QemuHelpError> {
            Result { () throws(QemuHelpError) in
                try QemuFeatures.parse(
                    help: parts[0], machineHelp: parts.count > 1 ? parts[1] : nil,
                    deviceHelp: parts.count > 2 ? parts[2] : nil)
            }
        }
        switch (read(), read()) {
        case (.success(let a), .success(let b)) where a == b: return
        case (.failure, .failure): return
        default: throw FuzzFinding("two readings of one help text differ")
        }
    }
}

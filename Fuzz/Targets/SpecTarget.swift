import Foundation
import QEMU

/// The instance spec: one that reads plans deterministically (the same argv, NICs and disks
/// twice), against the features of Debian 12's qemu.
enum SpecTarget: FuzzTarget {
    static let name = "spec"

    static let features: QemuFeatures = {
        let fixtures = FuzzTargets.repository + "/Tests/QEMUTests/Fixtures/"
        func text(_ file: String) -> String { (try? String(contentsOfFile: fixtures + file, encoding: .utf8)) ?? "" }
        // The fixtures are the repository's; without them no spec could plan, which the
        // regression tests would show at once.
        return try! QemuFeatures.parse(
            help: text("qemu-7.2-help.txt"), machineHelp: text("qemu-6.0.0-machine.txt"),
            deviceHelp: text("qemu-7.2-device.txt"))
    }()

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let spec = try? InstanceSpec.parse(json: input) else { return }
        let paths = StateDirectory("/var/lib/taphouse")
        let first = Result { () throws(SpecError) in try QemuPlanner.plan(spec, features: features, paths: paths) }
        let second = Result { () throws(SpecError) in try QemuPlanner.plan(spec, features: features, paths: paths) }
        switch (first, second) {
        case (.success(let a), .success(let b)):
            guard a == b else {
                throw FuzzFinding("two plans of one spec differ:\n\(a.runtime.argv)\n\(b.runtime.argv)")
            }
            // What a start saves reads back as the same runtime.
            guard let loaded = try? QemuRuntime.load(a.runtime.serialized()).runtime else {
                throw FuzzFinding("the planned runtime does not read back: \(a.runtime.argv)")
            }
            guard loaded == a.runtime else { throw FuzzFinding("the planned runtime read back differently") }
        case (.failure(let a), .failure(let b)):
            guard a == b else { throw FuzzFinding("two plans of one spec failed differently: \(a) / \(b)") }
        default:
            throw FuzzFinding("one plan of a spec succeeded and one failed")
        }
    }
}

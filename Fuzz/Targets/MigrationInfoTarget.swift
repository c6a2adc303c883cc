import Node
import QEMU

/// The migration info a target's `accept` reads (a file, or the body of the API's accept):
/// one that reads, written and read again, is the same; its argv starts with its kvm_path.
enum MigrationInfoTarget: FuzzTarget {
    static let name = "migration-info"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let info = try? MigrationInfo.parse(input, file: "input") else { return }
        guard info.runtime.argv.first == info.runtime.hvparams.string("kvm_path") else {
            throw FuzzFinding("an info whose argv starts with \(info.runtime.argv.first ?? "nothing") was taken")
        }
        let written = info.json()
        let again: MigrationInfo
        do {
            again = try MigrationInfo.parse(written, file: "written")
        } catch {
            throw FuzzFinding("an info that reads, written, does not read: \(error)")
        }
        guard again.runtime == info.runtime, again.spec == info.spec, again.instance == info.instance,
            again.sourceStateDirectory == info.sourceStateDirectory
        else { throw FuzzFinding("an info written and read again differs") }
    }
}

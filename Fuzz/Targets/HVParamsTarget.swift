import Foundation
import QEMU

/// Hypervisor parameter values (a JSON object, as a spec's `hvparams`): a set that reads, written
/// as JSON and read again, is the same set.
enum HVParamsTarget: FuzzTarget {
    static let name = "hvparams"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let json = try? JSONValue.parse(input), let params = try? HVParams.parse(json) else { return }
        guard let data = try? JSONEncoder().encode(params), let written = try? JSONValue.parse(data) else {
            throw FuzzFinding("parameters that read do not write")
        }
        let again: HVParams
        do {
            again = try HVParams.parse(written)
        } catch {
            throw FuzzFinding("parameters written as \(written) do not read: \(error)")
        }
        guard again == params else { throw FuzzFinding("parameters written as \(written) read differently") }
    }
}

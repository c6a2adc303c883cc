import Foundation
import QEMU

/// The table a `console.lua` returns, as JSON: a description that reads, written and read again,
/// is the same description.
enum ConsoleTarget: FuzzTarget {
    static let name = "console"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let json = try? JSONValue.parse(input), let description = try? ConsoleDescription.parse(json) else {
            return
        }
        guard let data = try? JSONEncoder().encode(description), let written = try? JSONValue.parse(data) else {
            throw FuzzFinding("a description that reads does not write")
        }
        guard let again = try? ConsoleDescription.parse(written), again == description else {
            throw FuzzFinding("a description written as \(written) reads differently")
        }
    }
}

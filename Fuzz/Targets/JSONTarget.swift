import QEMU

/// The JSON reader under every other parser: a document that reads, written and read again, is
/// the same value, and what is written once writes as itself.
enum JSONTarget: FuzzTarget {
    static let name = "json"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let value = try? JSONValue.parse(input) else { return }
        let text = value.text()
        guard let again = try? JSONValue.parse(Array(text.utf8)) else {
            throw FuzzFinding("\(value) wrote \(text), which does not read")
        }
        guard again.sameValue(as: value) || value.hasNaN else { throw FuzzFinding("\(text) read back as \(again)") }
        // Writing settles after one round (`-0` reads as an integer, and is written `0` after).
        let settled = again.text()
        guard let third = try? JSONValue.parse(Array(settled.utf8)), third.text() == settled else {
            throw FuzzFinding("\(settled) does not write as itself")
        }
    }
}

extension JSONValue {
    /// Equal, a number being the same whether it reads as an integer or not: the writer spells a
    /// whole double without a fraction (`-3e10` as `-30000000000`), as JSON allows.
    func sameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Double(a) == b
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case (.object(let a), .object(let b)):
            a.count == b.count && a.allSatisfy { key, value in b[key].map { value.sameValue(as: $0) } ?? false }
        default: self == other
        }
    }

    /// NaN is never equal to itself; JSON has no spelling for it, but a huge exponent reads as
    /// an infinity.
    var hasNaN: Bool {
        switch self {
        case .double(let value): !value.isFinite
        case .array(let values): values.contains(where: \.hasNaN)
        case .object(let members): members.values.contains(where: \.hasNaN)
        default: false
        }
    }
}

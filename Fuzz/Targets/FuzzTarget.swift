/// One parser of text from outside, fuzzed: `run` feeds it an input and checks what can be
/// checked beyond "no crash" (a value that reads, written and read again, is the same; reading
/// is deterministic); a broken property is a ``FuzzFinding``. A refusal of bad input is no
/// finding: refusing is the parser's job.
public protocol FuzzTarget: Sendable {
    /// The name `scripts/fuzz.sh` takes, and the folder of its corpus under `Fuzz/Corpus`.
    static var name: String { get }
    static func run(_ input: [UInt8]) throws(FuzzFinding)
}

@testable import QMP

/// QMP framing and messages: the lines a stream holds, and what each reads as, do not depend on
/// how the bytes arrived (the input's first byte picks the chunk size of the second reading).
enum QMPTarget: FuzzTarget {
    static let name = "qmp"

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard let first = input.first else { return }
        let stream = Array(input.dropFirst())
        let whole = read(stream, chunk: max(1, stream.count))
        let pieces = read(stream, chunk: Int(first % 64) + 1)
        guard whole == pieces else {
            throw FuzzFinding("read whole: \(whole)\nread in chunks of \(Int(first % 64) + 1): \(pieces)")
        }
    }

    /// Each line as its message's text, or the refusal's; framing errors end the reading.
    static func read(_ stream: [UInt8], chunk: Int) -> [String] {
        var buffer = LineBuffer()
        var seen: [String] = []
        var offset = 0
        while offset < stream.count {
            buffer.append(stream[offset..<min(stream.count, offset + chunk)])
            offset += chunk
            while true {
                let line: ArraySlice<UInt8>?
                do {
                    line = try buffer.nextLine()
                } catch {
                    seen.append("framing: \(error)")
                    return seen
                }
                guard let line else { break }
                do {
                    seen.append("\(try QMPMessage.parse(line))")
                } catch {
                    seen.append("refused: \(error)")
                }
            }
        }
        return seen
    }
}

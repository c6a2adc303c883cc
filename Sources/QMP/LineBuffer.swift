/// Bytes read from the socket, cut into lines. QMP ends each message with CRLF; a bare LF is
/// accepted too, and blank lines are skipped.
struct LineBuffer {
    /// A larger message is a `.protocol` error rather than memory growing without bound
    /// (`query-qmp-schema`, the largest answer qemu gives, is well under 1 MiB).
    static let maximumLineLength = 16 << 20

    private var bytes: [UInt8] = []
    /// Where the next line starts; consumed bytes are dropped only now and then, so that taking
    /// a line does not shift the whole buffer each time.
    private var start = 0
    /// Where the search for the next newline resumes, so a long line arriving in many pieces is
    /// scanned once.
    private var scanned = 0

    var isEmpty: Bool { start == bytes.count }

    mutating func append(_ chunk: some Collection<UInt8>) {
        if start > 0 && start * 2 >= bytes.count {
            bytes.removeFirst(start)
            scanned -= start
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line without its line ending, or nil when none is complete yet.
    mutating func nextLine() throws(QMPError) -> ArraySlice<UInt8>? {
        while true {
            guard let newline = bytes[max(scanned, start)...].firstIndex(of: UInt8(ascii: "\n")) else {
                scanned = bytes.count
                if bytes.count - start > Self.maximumLineLength {
                    throw QMPError(.protocol, "message from qemu longer than \(Self.maximumLineLength) bytes")
                }
                return nil
            }
            var end = newline
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = bytes[start..<end]
            start = newline + 1
            scanned = start
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) {
                return line
            }
        }
    }
}

/// Routing table names as `ip` resolves them (iproute2's `rtnl_rttable_a2n`), so that a Ganeti
/// site's routed `LINK` means the same table to taphouse as to Ganeti's own scripts.
///
/// The files are those ``RoutingTableFiles`` reads, in `ip`'s order. Each line is `ID NAME`
/// (`ID` in decimal or `0x` hex; text after the name is ignored; `#` starts a comment line); a
/// line that is not makes `ip` stop reading that file, and is kept here to be named in errors.
/// `local`, `main` and `default` are known without any file.
///
/// A name wins over a number (a file may name a table `100`), and where a name is given twice
/// the one `ip` finds first wins: `ip` keeps names in 256 buckets by `ID & 255`, looks through
/// the buckets in order, and within one finds the latest definition first.
public struct RoutingTableNames: Sendable {
    /// A file's path and text.
    public struct File: Sendable {
        public var path: String
        public var text: String

        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    /// The files read, in order (for error messages).
    public let paths: [String]
    /// Lines `ip` stopped reading at, as `path:line: text`.
    public let corruptLines: [String]
    /// The definitions, in the order `ip` makes them: the built-in ones, then each file's.
    private let definitions: [(id: UInt32, name: String)]

    static let builtin: [(id: UInt32, name: String)] = [(253, "default"), (254, "main"), (255, "local")]

    /// Reads the definitions of `files` (no file at all gives the built-in names only).
    public init(files: [File]) {
        var definitions = Self.builtin
        var corrupt: [String] = []
        for file in files {
            lines: for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated()
            {
                switch Self.parse(line) {
                case .blank:
                    continue
                case .definition(let id, let name):
                    // ip reads the ID into an int and skips negative ones (`0xffffffff`, say).
                    if let id { definitions.append((id, name)) }
                case .corrupt:
                    // ip stops reading the file here ("Database ... is corrupted").
                    corrupt.append("\(file.path):\(number + 1): \(line)")
                    break lines
                }
            }
        }
        self.definitions = definitions
        paths = files.map(\.path)
        corruptLines = corrupt
    }

    /// The table id `name` means: a defined name, else a number as `strtoul(name, 0)` reads it
    /// (decimal, `0x` hex, or octal with a leading 0), up to 2^32-1. Nil when it is neither.
    public func id(_ name: String) -> UInt32? {
        var best: (bucket: UInt32, order: Int, id: UInt32)?
        for (order, definition) in definitions.enumerated() where definition.name == name {
            let bucket = definition.id & 255
            if best == nil || bucket < best!.bucket || (bucket == best!.bucket && order > best!.order) {
                best = (bucket, order, definition.id)
            }
        }
        return best?.id ?? Self.number(name)
    }

    /// The table `name` means, as a routing table id (1 to 2^32-1), or an error that says where
    /// the name was looked for (`searched`) and where `ip` stopped reading a file.
    public func table(_ name: String, searched: String) throws(HostNetError) -> Int {
        let operation = "routing table \(name)"
        guard let id = id(name) else {
            var detail = "not a number, nor a name in \(searched)"
            if !corruptLines.isEmpty {
                detail +=
                    " (ip stops reading a file at a line that is not 'ID NAME': "
                    + corruptLines.joined(separator: "; ") + ")"
            }
            throw HostNetError(.notFound, operation, detail: detail)
        }
        guard id > 0 else { throw HostNetError(.invalid, operation, detail: "0 (unspec) is not a routing table") }
        return Int(id)
    }

    enum Line: Equatable {
        case blank
        /// A definition; a nil id is one `ip` skips (negative as an int).
        case definition(id: UInt32?, name: String)
        case corrupt
    }

    /// One line as iproute2's `fread_id_name` reads it: `sscanf` with `0x%x %s`, then `%d %s`.
    static func parse(_ line: Substring) -> Line {
        let bytes = Array(line.utf8)
        var start = 0
        while start < bytes.count, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        if start == bytes.count || bytes[start] == UInt8(ascii: "#") || bytes[start] == 0x0A { return .blank }
        let rest = bytes[start...]
        if rest.starts(with: Array("0x".utf8)), let parsed = scan(rest.dropFirst(2), hex: true) { return parsed }
        return scan(rest, hex: false) ?? .corrupt
    }

    /// `%x %s` or `%d %s` at the start of `bytes`: a number (the int scanf stores: the low 32
    /// bits), white space, a word.
    private static func scan(_ bytes: ArraySlice<UInt8>, hex: Bool) -> Line? {
        var index = bytes.startIndex
        func skipSpace() { while index < bytes.endIndex, isSpace(bytes[index]) { index += 1 } }
        skipSpace()  // %x and %d skip leading white space
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        if hex, index + 1 < bytes.endIndex, bytes[index] == UInt8(ascii: "0"),
            bytes[index + 1] | 0x20 == UInt8(ascii: "x"), index + 2 < bytes.endIndex,
            digit(bytes[index + 2], base: 16) != nil
        {
            index += 2
        }
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.endIndex, let d = digit(bytes[index], base: hex ? 16 : 10) {
            value = value > UInt64(UInt32.max) << 4 ? value : value * (hex ? 16 : 10) + UInt64(d)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        skipSpace()
        let nameStart = index
        while index < bytes.endIndex, !isSpace(bytes[index]) { index += 1 }
        guard index > nameStart else { return nil }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        let low = UInt32(truncatingIfNeeded: negative ? 0 &- value : value)
        return .definition(id: Int32(bitPattern: low) < 0 ? nil : low, name: name)
    }

    /// `strtoul(text, &end, 0)` with `*end == 0` and a result of at most 2^32-1, as `ip` takes a
    /// table number.
    public static func number(_ text: String) -> UInt32? {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var base: UInt64 = 10
        if index + 2 < bytes.count, bytes[index] == UInt8(ascii: "0"), bytes[index + 1] | 0x20 == UInt8(ascii: "x"),
            digit(bytes[index + 2], base: 16) != nil
        {
            base = 16
            index += 2
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
            base = 8
        }
        var value: UInt64 = 0
        var digits = 0
        var overflow = false
        while index < bytes.count, let d = digit(bytes[index], base: Int(base)) {
            let (product, o1) = value.multipliedReportingOverflow(by: base)
            let (sum, o2) = product.addingReportingOverflow(UInt64(d))
            overflow = overflow || o1 || o2
            value = sum
            digits += 1
            index += 1
        }
        // No digits: strtoul leaves `end` at the start, which is not the end of a non-empty text.
        guard digits > 0, index == bytes.count, !overflow else { return nil }
        if negative { value = 0 &- value }
        return UInt32(exactly: value)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private static func digit(_ byte: UInt8, base: Int) -> Int? {
        let value: Int
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        return value < base ? value : nil
    }
}

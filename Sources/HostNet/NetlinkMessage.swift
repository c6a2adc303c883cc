/// One rtnetlink request being built: the `nlmsghdr`, the family header (`ifinfomsg`, `rtmsg`,
/// `ifaddrmsg`, `ndmsg`, `fib_rule_hdr`, as raw bytes) and attributes, each aligned to 4 bytes as the kernel expects.
/// The length and sequence number are filled in by ``finished(sequence:)``.
struct NetlinkMessage {
    private(set) var bytes: [UInt8]
    private var nested: [Int] = []

    /// The size of `struct nlmsghdr`.
    static let headerSize = 16

    init(type: UInt16, flags: UInt16, header: [UInt8]) {
        bytes = [UInt8](repeating: 0, count: Self.headerSize)
        bytes.reserveCapacity(128)
        Self.put(&bytes, 4, type)
        Self.put(&bytes, 6, flags)
        bytes += header
        align()
    }

    /// `struct ifinfomsg`.
    static func linkHeader(
        family: UInt8 = NL.unspec, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0
    ) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 16)
        header[0] = family
        put(&header, 4, index)
        put(&header, 8, flags)
        put(&header, 12, change)
        return header
    }

    /// `struct rtmsg`.
    static func routeHeader(
        family: UInt8, dstLength: UInt8 = 0, table: UInt8 = 0, proto: UInt8 = 0, scope: UInt8 = 0, type: UInt8 = 0
    ) -> [UInt8] {
        [family, dstLength, 0, 0, table, proto, scope, type, 0, 0, 0, 0]
    }

    /// `struct ifaddrmsg`.
    static func addressHeader(
        family: UInt8, prefixLength: UInt8 = 0, scope: UInt8 = 0, index: Int32 = 0
    ) -> [UInt8] {
        var header: [UInt8] = [family, prefixLength, 0, scope, 0, 0, 0, 0]
        put(&header, 4, index)
        return header
    }

    /// `struct ndmsg`.
    static func neighbourHeader(family: UInt8, index: Int32 = 0, state: UInt16 = 0, flags: UInt8 = 0) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 12)
        header[0] = family
        put(&header, 4, index)
        put(&header, 8, state)
        header[10] = flags
        return header
    }

    /// `struct fib_rule_hdr`.
    static func ruleHeader(family: UInt8, table: UInt8 = 0, action: UInt8 = 0) -> [UInt8] {
        [family, 0, 0, 0, table, 0, 0, action, 0, 0, 0, 0]
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        let start = bytes.count
        bytes += [0, 0, 0, 0]
        Self.put(&bytes, start, UInt16(4 + payload.count))
        Self.put(&bytes, start + 2, type)
        bytes += payload
        align()
    }

    mutating func attribute(_ type: UInt16, uint16 value: UInt16) {
        attribute(type, withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }

    mutating func attribute(_ type: UInt16, uint32 value: UInt32) {
        attribute(type, withUnsafeBytes(of: value.littleEndian) { Array($0) })
    }

    mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

    /// Opens a nested attribute: what follows, up to ``endNested()``, is its payload.
    mutating func beginNested(_ type: UInt16) {
        nested.append(bytes.count)
        attribute(type, [])
    }

    mutating func endNested() {
        let start = nested.removeLast()
        Self.put(&bytes, start, UInt16(bytes.count - start))
    }

    /// The finished message with its length and sequence number.
    func finished(sequence: UInt32) -> [UInt8] {
        precondition(nested.isEmpty, "a nested attribute was not closed")
        var result = bytes
        Self.put(&result, 0, UInt32(result.count))
        Self.put(&result, 8, sequence)
        return result
    }

    private mutating func align() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    /// Writes `value` in host (little-endian) order at `offset`, as the kernel's structs hold it.
    static func put<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ offset: Int, _ value: T) {
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    /// Reads a `T` at `offset` from the start of `bytes`; 0 when the bytes are too short (a
    /// truncated attribute reads as absent rather than trapping).
    static func get<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, _ offset: Int, as: T.Type = T.self) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= bytes.count else { return 0 }
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}

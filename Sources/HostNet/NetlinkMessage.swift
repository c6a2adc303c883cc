/// One rtnetlink request being built: the header, the family header (ifinfomsg, rtmsg,
/// fib_rule_hdr, as raw bytes) and attributes, each aligned to 4 bytes as the kernel expects.
struct NetlinkMessage {
    private(set) var bytes: [UInt8]
    private var nested: [Int] = []

    init(type: UInt16, flags: UInt16, header: [UInt8]) {
        bytes = [UInt8](repeating: 0, count: 16)
        NetlinkMessage.put(&bytes, 4, type)
        NetlinkMessage.put(&bytes, 6, flags)
        bytes += header
        align()
    }

    /// `struct ifinfomsg`.
    static func linkHeader(
        family: UInt8 = NL.unspec, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0
    ) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 16)
        h[0] = family
        put(&h, 4, UInt32(bitPattern: index))
        put(&h, 8, flags)
        put(&h, 12, change)
        return h
    }

    /// `struct rtmsg`.
    static func routeHeader(
        family: UInt8, dstLength: UInt8 = 0, table: UInt8 = 0, proto: UInt8 = 0, scope: UInt8 = 0, type: UInt8 = 0
    ) -> [UInt8] {
        [family, dstLength, 0, 0, table, proto, scope, type, 0, 0, 0, 0]
    }

    /// `struct fib_rule_hdr`.
    static func ruleHeader(family: UInt8, table: UInt8 = 0, action: UInt8 = 0) -> [UInt8] {
        [family, 0, 0, 0, table, 0, 0, action, 0, 0, 0, 0]
    }

    mutating func attribute(_ type: UInt16, _ payload: [UInt8]) {
        var header = [UInt8](repeating: 0, count: 4)
        NetlinkMessage.put(&header, 0, UInt16(4 + payload.count))
        NetlinkMessage.put(&header, 2, type)
        bytes += header + payload
        align()
    }

    mutating func attribute(_ type: UInt16, uint32 value: UInt32) {
        var payload = [UInt8](repeating: 0, count: 4)
        NetlinkMessage.put(&payload, 0, value)
        attribute(type, payload)
    }

    mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

    mutating func beginNested(_ type: UInt16) {
        nested.append(bytes.count)
        attribute(type, [])
    }

    mutating func endNested() {
        let start = nested.removeLast()
        NetlinkMessage.put(&bytes, start, UInt16(bytes.count - start))
    }

    /// The finished message with its length and sequence number.
    func finished(sequence: UInt32) -> [UInt8] {
        var result = bytes
        NetlinkMessage.put(&result, 0, UInt32(result.count))
        NetlinkMessage.put(&result, 8, sequence)
        return result
    }

    private mutating func align() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    static func put<T: FixedWidthInteger>(_ bytes: inout [UInt8], _ offset: Int, _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, byte) in raw.enumerated() { bytes[offset + i] = byte }
        }
    }

    static func get<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, _ offset: Int, as: T.Type = T.self) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<MemoryLayout<T>.size { raw[i] = bytes[bytes.startIndex + offset + i] }
        }
        return T(littleEndian: value)
    }

    /// The attributes in `bytes` (a message's tail, or a nested attribute's payload), by type;
    /// a type seen twice keeps the first (rtnetlink does not repeat the ones read here).
    static func attributes(_ bytes: ArraySlice<UInt8>) -> [UInt16: ArraySlice<UInt8>] {
        var result: [UInt16: ArraySlice<UInt8>] = [:]
        var offset = 0
        while offset + 4 <= bytes.count {
            let length = Int(get(bytes, offset, as: UInt16.self))
            let type = get(bytes, offset + 2, as: UInt16.self) & 0x3FFF  // drop NLA_F_NESTED / NET_BYTEORDER
            guard length >= 4, offset + length <= bytes.count else { break }
            let start = bytes.startIndex + offset + 4
            if result[type] == nil { result[type] = bytes[start..<(start + length - 4)] }
            offset += (length + 3) & ~3
        }
        return result
    }
}

/// The attributes (`struct nlattr` chain) of a received message's tail or of a nested
/// attribute's payload, read without copying. Malformed lengths end the walk instead of trapping.
struct NetlinkAttributes: Sequence {
    /// One attribute: its type (without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits) and payload.
    struct Attribute {
        var type: UInt16
        var payload: ArraySlice<UInt8>
    }

    let bytes: ArraySlice<UInt8>
    /// The first attribute of each type, from one walk at init: a link message has some 50
    /// attributes and is asked for several of them.
    private let firsts: [UInt16: ArraySlice<UInt8>]

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        var firsts: [UInt16: ArraySlice<UInt8>] = [:]
        var iterator = Iterator(bytes: bytes)
        while let attribute = iterator.next() {
            if firsts[attribute.type] == nil { firsts[attribute.type] = attribute.payload }
        }
        self.firsts = firsts
    }

    /// Walks the chain; stops at the end or at the first malformed length.
    struct Iterator: IteratorProtocol {
        let bytes: ArraySlice<UInt8>
        var offset = 0

        mutating func next() -> Attribute? {
            guard offset + 4 <= bytes.count else { return nil }
            let length = Int(NetlinkMessage.get(bytes, offset, as: UInt16.self))
            let type = NetlinkMessage.get(bytes, offset + 2, as: UInt16.self) & 0x3FFF
            guard length >= 4, offset + length <= bytes.count else { return nil }
            let start = bytes.startIndex + offset + 4
            offset += (length + 3) & ~3
            return Attribute(type: type, payload: bytes[start..<(start + length - 4)])
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }

    /// The first attribute of that type (rtnetlink does not repeat the ones read by key).
    subscript(_ type: UInt16) -> ArraySlice<UInt8>? { firsts[type] }

    /// A `u32` attribute.
    func uint32(_ type: UInt16) -> UInt32? {
        self[type].flatMap { $0.count >= 4 ? NetlinkMessage.get($0, 0, as: UInt32.self) : nil }
    }

    /// A NUL-terminated string attribute.
    func string(_ type: UInt16) -> String? {
        self[type].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The attributes nested in the attribute of that type.
    func nested(_ type: UInt16) -> NetlinkAttributes? {
        self[type].map(NetlinkAttributes.init)
    }
}

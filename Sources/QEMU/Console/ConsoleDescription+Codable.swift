/// `Codable` in the JSON form of ``ConsoleDescription/json``; decoding checks as
/// ``ConsoleDescription/parse(_:)`` does.
extension ConsoleDescription: Codable {
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }

    public init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        do {
            self = try ConsoleDescription.parse(json)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
}

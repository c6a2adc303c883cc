/// A complete, syntax-checked set of hypervisor parameters: every catalog parameter present.
public struct HVParams: Sendable, Hashable, Codable {
    /// The values by parameter name.
    public private(set) var values: [String: HVValue]

    init(values: [String: HVValue]) { self.values = values }

    /// The catalog defaults.
    public static var defaults: HVParams {
        HVParams(values: Dictionary(uniqueKeysWithValues: HVCatalog.parameters.map { ($0.name, $0.defaultValue) }))
    }

    public func string(_ name: String) -> String {
        if case .string(let s) = values[name] { return s }
        preconditionFailure("hvparam \(name) is not a string parameter")
    }

    public func int(_ name: String) -> Int {
        if case .int(let i) = values[name] { return i }
        preconditionFailure("hvparam \(name) is not an integer parameter")
    }

    public func bool(_ name: String) -> Bool {
        if case .bool(let b) = values[name] { return b }
        preconditionFailure("hvparam \(name) is not a boolean parameter")
    }

    /// The parameters as JSON (for the runtime file).
    public var json: JSONValue { .object(values.mapValues(\.json)) }

    public init(from decoder: any Decoder) throws { values = try [String: HVValue](from: decoder) }
    public func encode(to encoder: any Encoder) throws { try values.encode(to: encoder) }
}

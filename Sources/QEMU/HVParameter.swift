/// One hypervisor parameter of the catalog: its type, default, allowed values, syntax check
/// (pure, run wherever the spec is read) and node check (run on the node, against facts the
/// caller gathers).
public struct HVParameter: Sendable {
    /// The value type.
    public enum Kind: String, Sendable {
        case string, int, bool
    }

    /// What the node must confirm about the value (when it is not empty).
    public enum NodeCheck: Sendable, Equatable {
        /// A regular file exists at the path.
        case file
        /// A directory exists at the path.
        case directory
        /// A regular file exists at the path, or the value is a URL.
        case fileOrURL
    }

    /// The name as Ganeti spells it (`kernel_path`).
    public let name: String
    public let kind: Kind
    /// The value a spec that omits the parameter gets.
    public let defaultValue: HVValue
    /// For string parameters with a fixed set: the allowed values.
    public let allowed: [String]?
    /// Whether an empty string is refused.
    public let required: Bool
    /// Whether Ganeti 2012 already had it (false: added by 2026).
    public let since2012: Bool
    /// The syntax check: `nil` when fine, else the reason. Runs only on non-empty values.
    public let syntax: (@Sendable (HVValue) -> String?)?
    public let nodeCheck: NodeCheck?

    init(
        _ name: String, _ kind: Kind, _ defaultValue: HVValue, allowed: [String]? = nil, required: Bool = false,
        since2012: Bool = true, node: NodeCheck? = nil, syntax: (@Sendable (HVValue) -> String?)? = nil
    ) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.required = required
        self.since2012 = since2012
        self.nodeCheck = node
        self.syntax = syntax
    }

    /// Converts and checks a JSON value for this parameter.
    func check(_ json: JSONValue) throws(SpecError) -> HVValue {
        let field = "hvparams.\(name)"
        let value: HVValue
        switch (kind, json) {
        case (.string, .string(let s)): value = .string(s)
        case (.string, .null): value = .string("")
        case (.int, .int(let i)):
            guard let int = Int(exactly: i) else { throw SpecError(field, "\(i) is out of range") }
            value = .int(int)
        case (.int, .double(let d)) where Int(exactly: d) != nil: value = .int(Int(exactly: d)!)
        case (.bool, .bool(let b)): value = .bool(b)
        default:
            throw SpecError(
                field,
                "expected \(kind == .int ? "an integer" : kind == .bool ? "a boolean" : "a string"), got \(json.kind)")
        }
        if value.isEmpty {
            if required { throw SpecError(field, "a value is required") }
            return value
        }
        if let allowed, case .string(let s) = value, !allowed.contains(s) {
            throw SpecError(field, "\"\(s)\" is not one of \(allowed.joined(separator: ", "))")
        }
        if let reason = syntax?(value) { throw SpecError(field, reason) }
        return value
    }
}

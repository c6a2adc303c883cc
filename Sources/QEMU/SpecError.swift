/// A refusal of an instance spec, a parameter, a runtime file or a hook spec case: which field,
/// and why.
///
/// `description` reads `nics[1].mac: "zz:00" is not a MAC address`, so a person can find the
/// field and act on the reason.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path of the field, as it is written in the JSON (`hvparams.boot_order`, `nics[0].mac`),
    /// or the file's name when the refusal is about the whole document.
    public var field: String
    /// Why it was refused.
    public var reason: String

    /// Creates a refusal.
    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { field.isEmpty ? reason : "\(field): \(reason)" }
}

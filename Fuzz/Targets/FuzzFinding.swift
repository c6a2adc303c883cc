/// A property a fuzz target checks that an input broke.
public struct FuzzFinding: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What the node's checks need to know about the node, gathered by the caller (the edge), so
/// the checks themselves stay pure and testable.
public struct NodeFacts: Sendable {
    /// The qemu that will run the instance.
    public var features: QemuFeatures
    /// Whether a regular file exists at the path.
    public var isFile: @Sendable (String) -> Bool
    /// Whether a directory exists at the path.
    public var isDirectory: @Sendable (String) -> Bool
    /// Whether anything (a device node, say) exists at the path.
    public var pathExists: @Sendable (String) -> Bool
    /// Whether the user exists.
    public var userExists: @Sendable (String) -> Bool
    /// Whether a network interface of that name exists.
    public var interfaceExists: @Sendable (String) -> Bool

    /// Creates the facts.
    public init(
        features: QemuFeatures, isFile: @escaping @Sendable (String) -> Bool,
        isDirectory: @escaping @Sendable (String) -> Bool, pathExists: @escaping @Sendable (String) -> Bool,
        userExists: @escaping @Sendable (String) -> Bool, interfaceExists: @escaping @Sendable (String) -> Bool
    ) {
        self.features = features
        self.isFile = isFile
        self.isDirectory = isDirectory
        self.pathExists = pathExists
        self.userExists = userExists
        self.interfaceExists = interfaceExists
    }
}

import LuaKit
import QEMU

/// What a console policy hook sees of the instance: `instance` in
/// `console(instance, default)`, handed over read-only.
///
/// As a Lua table: `name`, `primary_node`, `network_port` (nil when the instance has none),
/// `tags`, and `hvparams` with the console parameters only (``ConsoleRules/parameters``).
public struct ConsoleInstanceView: Sendable, Hashable {
    /// The instance name.
    public var name: String
    /// The node the instance runs on.
    public var primaryNode: String
    /// The VNC or SPICE port.
    public var networkPort: Int?
    /// The instance tags: what a site keys its console policy on.
    public var tags: [String]
    /// The parameters the instance runs with; the view shows the console ones.
    public var hvparams: HVParams

    /// Creates a view.
    public init(name: String, primaryNode: String, networkPort: Int?, tags: [String], hvparams: HVParams) {
        self.name = name
        self.primaryNode = primaryNode
        self.networkPort = networkPort
        self.tags = tags
        self.hvparams = hvparams
    }

    /// The view of the instance the console rules got `input` for.
    public init(_ input: ConsoleInput, tags: [String]) {
        self.init(
            name: input.instance, primaryNode: input.primaryNode, networkPort: input.networkPort, tags: tags,
            hvparams: input.hvparams)
    }

    /// The `instance` table the hook gets.
    public var table: LuaValue {
        var parameters: [LuaKey: LuaValue] = [:]
        for name in ConsoleRules.parameters {
            if let value = hvparams.values[name] { parameters[.string(name)] = LuaValue(json: value.json) }
        }
        var fields: [LuaKey: LuaValue] = [
            "name": .string(name), "primary_node": .string(primaryNode), "tags": .array(tags.map(LuaValue.string)),
            "hvparams": .map(parameters),
        ]
        if let networkPort { fields["network_port"] = .integer(Int64(networkPort)) }
        return .map(fields)
    }
}

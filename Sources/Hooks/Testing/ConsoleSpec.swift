import LuaKit
import QEMU

/// A console spec case read and checked: the instance, the native description (given, or
/// computed by the console rules), the site hook if the case brings one, and what the hook must
/// return or how it must fail. A case is a console case when it has a `console` field or a site
/// `console` hook; the network fields (`nic`, `host`, ...) are refused in it, as any unknown
/// field is.
///
/// ```lua
/// test.case("a tagged instance gets the console proxy", {
///   console = { instance = { tags = { "console:proxy" }, hvparams = { serial_console = false } } },
///   expect = { console = { kind = "message", message = "..." } },
/// })
/// ```
struct ConsoleSpec {
    static let fields: Set<String> = ["console", "site", "expect", "skip"]
    static let consoleFields: Set<String> = ["instance", "default", "ssh_user", "ssh_port", "command"]
    static let instanceFields: Set<String> = ["name", "primary_node", "network_port", "tags", "hvparams"]
    static let defaultInstance = "instance1.example.com"
    static let defaultNode = "node1.example.com"

    var input: ConsoleInput
    var tags: [String]
    /// What the hook gets as `default`.
    var native: ConsoleDescription
    /// The source of a site `console.lua` for this case only.
    var site: String?
    var expected: ConsoleDescription?
    var expectedError: HookSpec.ExpectedError?
    var skip: String?

    /// Whether a case is a console case: it has `console`, or a site `console` hook.
    static func isConsoleCase(_ table: LuaValue) -> Bool {
        table[.string("console")] != .nil || table[.string("site")][.string("console")] != .nil
    }

    init(_ table: LuaValue) throws(SpecError) {
        let spec = try SpecTable(table, path: "")
        try spec.only(Self.fields)
        skip = try spec.string("skip")
        let console = try spec.table("console") ?? SpecTable(emptyAt: "console")
        try console.only(Self.consoleFields)
        let instance = try console.table("instance") ?? SpecTable(emptyAt: "console.instance")
        try instance.only(Self.instanceFields)
        let name = try instance.string("name") ?? Self.defaultInstance
        var hvparams = HVParams.defaults
        if instance["hvparams"] != .nil {
            hvparams = try HVParams.parse(
                JSONValue(lua: instance["hvparams"], path: "console.instance.hvparams"),
                field: "console.instance.hvparams")
        }
        input = ConsoleInput(
            instance: name, primaryNode: try instance.string("primary_node") ?? Self.defaultNode,
            networkPort: try instance.integer("network_port"), hvparams: hvparams,
            command: try console.strings("command") ?? ["taphouse", "instance", "console", name],
            sshUser: try console.string("ssh_user") ?? "root", sshPort: try console.integer("ssh_port") ?? 22)
        tags = try instance.strings("tags") ?? []
        if console["default"] == .nil {
            native = ConsoleRules.describe(input)
        } else {
            native = try Self.description(console["default"], path: "console.default")
        }
        if let sites = try spec.table("site") {
            try sites.only(["console"])
            site = try sites.string("console")
        }
        if let expect = try spec.table("expect") {
            try expect.only(["console", "error"])
            if expect["console"] != .nil {
                expected = try Self.description(expect["console"], path: "expect.console")
            }
            expectedError = try HookSpec.ExpectedError.read(expect["error"])
            if expected != nil && expectedError != nil {
                throw SpecError("expect", "give either console or error, not both")
            }
        }
    }

    /// A description written in the case, checked as the hook's return is.
    static func description(_ value: LuaValue, path: String) throws(SpecError) -> ConsoleDescription {
        do {
            return try ConsoleDescription.parse(JSONValue(lua: value, path: ""))
        } catch {
            throw SpecError(error.field.isEmpty ? path : "\(path).\(error.field)", error.reason)
        }
    }
}

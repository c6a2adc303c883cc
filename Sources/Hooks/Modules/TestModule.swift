import LuaKit

/// `taphouse.test`, for hook spec files only: `case(name, spec)` registers a case where it is
/// written (the file and line failures are reported at).
///
/// ```lua
/// local test = require "taphouse.test"
/// test.case("bridged up joins the bridge", { nic = { LINK = "br0" }, host = {...}, expect = {...} })
/// ```
public enum TestModule {
    public static let name = "taphouse.test"

    /// Where `case` puts what it registers.
    public final class Collector {
        public internal(set) var cases: [HookSpecCase] = []
        public init() {}
    }

    public static func module(_ collector: Collector) -> LuaModule {
        LuaModule(
            name: name,
            functions: [
                "case": { args in
                    let name = try args.string(1)
                    let table = try args.table(2)
                    let (file, line) = args.caller ?? ("?", 0)
                    collector.cases.append(HookSpecCase(name: name, file: file, line: line, table: table))
                    return []
                }
            ])
    }
}

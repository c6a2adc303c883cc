import LuaKit

/// `taphouse.test`, for hook spec files only: `case(name, spec)` registers a case where it is
/// written (the file and line failures are reported at); `join(list, ...)` is the lists one after
/// the other (expected calls built from parts).
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
                },
                // Expected calls built from parts (the set-up, the hook's own, the undo's).
                "join": { args in
                    var joined: [LuaValue] = []
                    for position in 1...max(1, args.count) {
                        switch try args.table(position) {
                        case .array(let list): joined += list
                        case .map(let fields) where fields.isEmpty: break
                        default: throw args.badArgument(position, "a list expected")
                        }
                    }
                    return [.array(joined)]
                },
            ])
    }
}

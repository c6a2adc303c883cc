import Foundation
import HostNet
import LuaKit
import QEMU

/// A spec case read and checked: which hook runs, on which NIC, on what node, and what must
/// follow. Every field is checked up front, so a mistyped spec is an error naming the field
/// rather than a case that quietly tests nothing.
struct HookSpec {
    /// The NIC as the runner takes it.
    struct NIC {
        var instance: String
        var tags: [String]
        var spec: NICSpec
        var index: Int
        var interface: String
    }

    /// What the error must look like: a part of its message, and the hook line.
    struct ExpectedError {
        var message: String?
        var line: Int?

        /// `expect.error`: a part of the message, or `{ message = ..., line = ... }`.
        static func read(_ value: LuaValue) throws(SpecError) -> ExpectedError? {
            switch value {
            case .nil: return nil
            case .string(let message): return ExpectedError(message: message)
            case let value:
                let error = try SpecTable(value, path: "expect.error")
                try error.only(["message", "line"])
                return ExpectedError(message: try error.string("message"), line: try error.integer("line"))
            }
        }

        /// What differs between this expectation and what `action` threw, one failure each.
        /// - Parameter builtin: the built-in hook a site override may wrap: its line is the
        ///   expected line when the error names it (a built-in spec run against a wrapper, whose
        ///   error is reported at the wrapper's line with the built-in's position kept).
        func failures(_ thrown: HookError?, action: String, builtin: String? = nil) -> [String] {
            guard let thrown else {
                return [
                    "\(action) succeeded\n  expected: an error\(message.map { " containing \"\($0)\"" } ?? "")\n  actual:   no error"
                ]
            }
            var failures: [String] = []
            if let message, !thrown.description.contains(message) {
                failures.append(
                    "the error differs\n  expected: an error containing \"\(message)\"\n  actual:   \(thrown)")
            }
            if let line, thrown.line != line, !(builtin.map { thrown.message.contains("\($0):\(line): ") } ?? false) {
                failures.append(
                    "the error's hook line differs\n  expected: line \(line)\n  actual:   \(thrown.line.map { "line \($0)" } ?? "no line") (\(thrown))"
                )
            }
            return failures
        }
    }

    static let fields: Set<String> = [
        "hook", "nic", "instance", "nic_index", "interface", "others", "site", "host", "action", "phase", "exec",
        "expect", "properties", "skip", "without_site_hook",
    ]
    static let nicFields: Set<String> = [
        "INSTANCE", "MAC", "MODE", "INTERFACE", "INTERFACE_INDEX", "INTERFACE_UUID", "INTERFACE_NAME", "TAGS", "IP",
        "LINK", "BRIDGE", "VLAN", "NETWORK",
    ]

    var nic: NIC
    /// Other NICs of the node, brought up through their hooks before the action checked (for
    /// `down`, after the case's own up): what a NIC shares with others (an uplink VLAN) is tested
    /// with them.
    var others: [NIC]
    /// Site hooks for this case only, by mode.
    var site: [String: String]
    var host: SpecTable?
    var action: NetworkHookRunner.Action
    var phase: NetworkHookRunner.Phase?
    /// Answers for `exec`, by argv joined with spaces.
    var exec: [String: CommandRunner.Output]
    var expectedCalls: [String]?
    var expectedHost: SpecTable?
    var expectedError: ExpectedError?
    /// The built-in properties: up then down restores the host (and a failing up leaves it
    /// alone); up twice is up once.
    var checkUndo: Bool
    var checkTwice: Bool
    /// The tap dies with its qemu and another NIC's tap takes its name: undo leaves that NIC
    /// alone, and the other NIC's down, once its tap is gone too, leaves nothing.
    var checkReplaced: Bool
    /// For a `post` up: after a `pre` up of the same NIC it continues, nothing `pre` did is
    /// undone in between, and down then leaves the host as it was.
    var checkPhases: Bool
    var skip: String?
    /// The case is about a node whose hooks dir has no hook for the NIC's mode (ext's error):
    /// skipped where the site has one.
    var withoutSiteHook: Bool

    init(_ table: LuaValue) throws(SpecError) {
        let spec = try SpecTable(table, path: "")
        try spec.only(Self.fields)
        skip = try spec.string("skip")
        withoutSiteHook = try spec.boolean("without_site_hook") ?? false
        nic = try Self.nic(spec)
        var others: [NIC] = []
        for (offset, value) in (try spec.list("others") ?? []).enumerated() {
            let path = "others[\(offset + 1)]"
            // Each inherits the case's nic fields it does not give, and the next NIC index.
            var fields = spec["nic"].mapValue ?? [:]
            fields["INTERFACE_INDEX"] = .integer(Int64(offset + 1))
            fields["INTERFACE_UUID"] = .string("00000000-0000-4000-8000-0000000001\(String(format: "%02d", offset))")
            for (key, field) in try SpecTable(value, path: path).fields { fields[key] = field }
            guard spec["instance"] == .nil else {
                throw SpecError(path, "others need the case's nic, not instance")
            }
            var merged = spec.fields
            merged["nic"] = .map(fields)
            merged["interface"] = nil
            do {
                others.append(try Self.nic(SpecTable(.map(merged), path: "")))
            } catch {
                throw SpecError(path + "." + error.field.replacingOccurrences(of: "nic.", with: ""), error.reason)
            }
            guard others.last!.interface != nic.interface, fields["INTERFACE"] != nil else {
                throw SpecError(path + ".INTERFACE", "each other NIC needs its own tap")
            }
        }
        self.others = others
        var site: [String: String] = [:]
        for (mode, source) in try spec.named("site") ?? [] {
            guard HookModes.isValid(mode) else { throw SpecError("site.\(mode)", "not a NIC mode") }
            guard case .string(let text) = source else {
                throw SpecError("site.\(mode)", "the hook's Lua source expected, got \(source.typeName)")
            }
            site[mode] = text
        }
        self.site = site
        host = try spec.table("host")
        switch try spec.string("action") {
        case nil, "up": action = .up
        case "down": action = .down
        case let other?: throw SpecError("action", "\"\(other)\" is neither up nor down")
        }
        switch try spec.string("phase") {
        case nil: phase = nil
        case let text?:
            guard let parsed = NetworkHookRunner.Phase(rawValue: text) else {
                throw SpecError("phase", "\"\(text)\" is neither pre nor post")
            }
            phase = parsed
        }
        exec = try Self.execAnswers(spec)
        if let expect = try spec.table("expect") {
            try expect.only(["calls", "host", "error"])
            expectedCalls = try expect.strings("calls")
            expectedHost = try expect.table("host")
            expectedError = try ExpectedError.read(expect["error"])
        }
        switch spec["properties"] {
        case .nil: (checkUndo, checkTwice, checkReplaced, checkPhases) = (true, true, true, true)
        case .boolean(false): (checkUndo, checkTwice, checkReplaced, checkPhases) = (false, false, false, false)
        case let value:
            let properties = try SpecTable(value, path: "properties")
            try properties.only(["undo", "twice", "replaced", "phases"])
            checkUndo = try properties.boolean("undo") ?? true
            checkTwice = try properties.boolean("twice") ?? true
            checkReplaced = try properties.boolean("replaced") ?? true
            checkPhases = try properties.boolean("phases") ?? true
        }
    }

    /// The case's answers for `exec`, by argv joined with spaces (a spec never runs a program).
    static func execAnswers(_ spec: SpecTable) throws(SpecError) -> [String: CommandRunner.Output] {
        var exec: [String: CommandRunner.Output] = [:]
        for (argv, value) in try spec.named("exec") ?? [] {
            let answer = try SpecTable(value, path: "exec[\"\(argv)\"]")
            try answer.only(["status", "stdout", "stderr"])
            exec[argv] = CommandRunner.Output(
                status: Int32(clamping: try answer.integer("status") ?? 0),
                standardOutput: try answer.string("stdout") ?? "",
                standardError: try answer.string("stderr") ?? "")
        }
        return exec
    }

    /// The NIC from `instance` (a whole instance spec, as JSON would have it) and `nic_index`,
    /// or from `nic` in Ganeti's names, with defaults for what a case leaves out.
    static func nic(_ spec: SpecTable) throws(SpecError) -> NIC {
        let interface = try spec.string("interface")
        if spec["instance"] != .nil {
            guard spec["nic"] == .nil else { throw SpecError("nic", "give either nic or instance, not both") }
            let text: String
            do {
                text = try spec["instance"].json(pretty: false)
            } catch {
                throw SpecError("instance", error.message)
            }
            let instance: InstanceSpec
            do {
                instance = try InstanceSpec.parse(json: Data(text.utf8))
            } catch {
                throw SpecError("instance.\(error.field)", error.reason)
            }
            let index = try spec.integer("nic_index") ?? 0
            guard instance.nics.indices.contains(index) else {
                throw SpecError("nic_index", "the instance has \(instance.nics.count) NICs")
            }
            var nic = instance.nics[index]
            if let hook = try spec.string("hook") { nic.mode = hook }
            return NIC(
                instance: instance.name, tags: instance.tags, spec: nic, index: index, interface: interface ?? "tap0")
        }
        let fields = try spec.table("nic") ?? SpecTable(emptyAt: "nic")
        try fields.only(nicFields)
        let hook = try spec.string("hook")
        let mode = try fields.string("MODE") ?? hook ?? "bridged"
        if let hook, hook != mode { throw SpecError("hook", "\"\(hook)\" differs from nic.MODE \"\(mode)\"") }
        guard HookModes.isValid(mode) else {
            throw SpecError(hook == nil ? "nic.MODE" : "hook", "\"\(mode)\" is not a NIC mode")
        }
        let bridge = try fields.string("BRIDGE")
        var network: String?
        var netinfo: NetworkInfo?
        if let table = try fields.table("NETWORK") {
            try table.only(["NAME", "UUID", "TAGS", "SUBNET", "GATEWAY", "SUBNET6", "GATEWAY6", "MAC_PREFIX"])
            guard let name = try table.string("NAME") else { throw SpecError(table.at("NAME"), "required") }
            network = name
            netinfo = NetworkInfo(
                name: name, uuid: try table.string("UUID"), subnet: try table.string("SUBNET"),
                gateway: try table.string("GATEWAY"), subnet6: try table.string("SUBNET6"),
                gateway6: try table.string("GATEWAY6"), macPrefix: try table.string("MAC_PREFIX"),
                tags: try table.strings("TAGS") ?? [])
        }
        if let given = interface, let named = try fields.string("INTERFACE"), given != named {
            throw SpecError("interface", "differs from nic.INTERFACE")
        }
        return NIC(
            instance: try fields.string("INSTANCE") ?? "instance1.example.com", tags: try fields.strings("TAGS") ?? [],
            spec: NICSpec(
                mac: try fields.string("MAC") ?? "aa:00:00:00:00:01", ip: try fields.string("IP"),
                uuid: try fields.string("INTERFACE_UUID") ?? "00000000-0000-4000-8000-000000000001",
                name: try fields.string("INTERFACE_NAME"), mode: mode, link: try fields.string("LINK") ?? bridge,
                vlan: try fields.string("VLAN"), network: network, netinfo: netinfo),
            index: try fields.integer("INTERFACE_INDEX") ?? 0,
            interface: try fields.string("INTERFACE") ?? interface ?? "tap0")
    }
}

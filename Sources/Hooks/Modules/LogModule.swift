import Logging
import LuaKit

/// `taphouse.log`: hooks log through the node's logger, never to a file or a terminal of their own.
///
/// ```lua
/// local log = require "taphouse.log"
/// log.info("bridge port added", { bridge = nic.BRIDGE })
/// ```
/// Each function takes a message and an optional table of fields, which become metadata next
/// to the context the node adds (instance, NIC, hook file).
public enum LogModule {
    /// The module name hooks `require`.
    public static let name = "taphouse.log"

    /// The module, logging to `logger` with `context` added to every entry.
    public static func module(logger: Logger, context: Logger.Metadata = [:]) -> LuaModule {
        let levels: [(String, Logger.Level)] = [
            ("debug", .debug), ("info", .info), ("notice", .notice), ("warning", .warning), ("error", .error),
        ]
        var functions: [String: LuaFunction] = [:]
        for (field, level) in levels {
            functions[field] = { arguments in
                let message = try arguments.string(1)
                var metadata = context
                if let fields = try arguments.optionalTable(2) {
                    for (key, value) in fields.mapValue ?? [:] {
                        metadata[key.description] = .string(LogModule.text(of: value))
                    }
                }
                logger.log(level: level, "\(message)", metadata: metadata)
                return []
            }
        }
        return LuaModule(name: name, functions: functions)
    }

    /// A field value as log text: strings as they are, everything else as Lua would show it.
    static func text(of value: LuaValue) -> String {
        switch value {
        case .nil: "nil"
        case .boolean(let b): String(b)
        case .integer(let i): String(i)
        case .number(let d): String(d)
        case .string(let s): s
        case .bytes(let b): String(decoding: b, as: UTF8.self)
        case .array, .map, .opaque: (try? value.json(pretty: false)) ?? value.typeName
        }
    }
}

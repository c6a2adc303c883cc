import Foundation
import QEMU

/// One message from qemu, told apart by its members as the QMP specification does
/// (docs/interop/qmp-spec): the greeting, a command's answer or refusal, or an event.
enum QMPMessage: Equatable, CustomStringConvertible {
    /// `{"QMP": {"version": {"qemu": {...}}, "capabilities": [...]}}`, sent once on connect.
    case greeting(version: String, capabilities: [String])
    /// `{"return": ..., "id": ...}`.
    case success(id: String?, value: JSONValue)
    /// `{"error": {"class": ..., "desc": ...}, "id": ...}`; the id is missing when qemu could not
    /// read the request it answers.
    case failure(id: String?, errorClass: String, description: String)
    /// `{"event": ..., "data": ..., "timestamp": {"seconds": ..., "microseconds": ...}}`.
    case event(QMPEvent)

    /// Parses one line; anything that is not one of the four shapes is a `.protocol` error
    /// quoting (the start of) the line, which is what a person needs to see what qemu sent.
    static func parse(_ line: some Collection<UInt8>) throws(QMPError) -> QMPMessage {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(line))
        } catch {
            throw QMPError(.protocol, "unparsable message from qemu: \(quote(line))")
        }
        guard let object = value.objectValue else {
            throw QMPError(.protocol, "message from qemu is \(value.kind), not an object: \(quote(line))")
        }
        if let greeting = object["QMP"] {
            guard let qemu = greeting["version"]?["qemu"], let major = qemu["major"]?.intValue,
                let minor = qemu["minor"]?.intValue, let micro = qemu["micro"]?.intValue
            else {
                throw QMPError(.protocol, "QMP greeting without a qemu version: \(quote(line))")
            }
            let capabilities = greeting["capabilities"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return .greeting(version: "\(major).\(minor).\(micro)", capabilities: capabilities)
        }
        // qemu echoes any JSON as the id; ours are strings, so another kind is never ours.
        let id = object["id"].map { $0.stringValue ?? $0.text() }
        if let result = object["return"] {
            return .success(id: id, value: result)
        }
        if let error = object["error"] {
            guard let errorClass = error["class"]?.stringValue, let description = error["desc"]?.stringValue else {
                throw QMPError(.protocol, "QMP error without class and desc: \(quote(line))")
            }
            return .failure(id: id, errorClass: errorClass, description: description)
        }
        if let name = object["event"]?.stringValue {
            var timestamp: Double?
            if let seconds = object["timestamp"]?["seconds"]?.intValue,
                let microseconds = object["timestamp"]?["microseconds"]?.intValue
            {
                timestamp = Double(seconds) + Double(microseconds) / 1_000_000
            }
            return .event(QMPEvent(name: name, data: object["data"] ?? .object([:]), timestamp: timestamp))
        }
        throw QMPError(.protocol, "message from qemu is neither an answer nor an event: \(quote(line))")
    }

    /// A request line: `{"arguments":{...},"execute":"...","id":"..."}` and a newline; no
    /// `arguments` member when there are none.
    static func request(_ command: String, arguments: [String: JSONValue], id: String) throws(QMPError) -> [UInt8] {
        var members: [String: JSONValue] = ["execute": .string(command), "id": .string(id)]
        if !arguments.isEmpty { members["arguments"] = .object(arguments) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(JSONValue.object(members))) + [UInt8(ascii: "\n")]
        } catch {
            // Only a NaN or an infinity gets here: JSON has no spelling for them.
            throw QMPError(.protocol, "arguments cannot be written as JSON: \(error)", command: command)
        }
    }

    /// Close to what qemu sent, for messages about unexpected ones.
    var description: String {
        let id: (String?) -> String = { $0.map { #", "id": "\#($0)""# } ?? "" }
        switch self {
        case .greeting(let version, _): return #"{"QMP": {"version": "\#(version)"}}"#
        case .success(let answered, let value): return #"{"return": \#(value)\#(id(answered))}"#
        case .failure(let answered, let errorClass, let text):
            return #"{"error": {"class": "\#(errorClass)", "desc": \#(JSONValue.string(text))}\#(id(answered))}"#
        case .event(let event): return #"{"event": "\#(event.name)", "data": \#(event.data)}"#
        }
    }

    private static func quote(_ line: some Collection<UInt8>) -> String {
        let limit = 200
        let text = String(decoding: line.prefix(limit), as: UTF8.self)
        return line.count > limit ? text + "..." : text
    }
}

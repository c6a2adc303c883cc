import Foundation
import QEMU

/// How requests and answers travel between the node and a worker. A NIC call and its list of
/// host changes, the calls that come per NIC and per start, have a compact binary form, and a
/// setup is sent once per worker and named by a number after that: encoding them with Codable and
/// JSON costs more than the hook itself. Every other kind travels as JSON after a tag byte.
public enum HookWorkerWire {
    enum Tag: UInt8 {
        case json = 0
        case nic = 1
        case ping = 2
        case calls = 3
        case pong = 4
        case extend = 5
        case nics = 6
    }

    /// A request, its setup given in full (first use on this worker) or by number.
    public static func encode(
        _ request: HookWorkerRequest, setupNumber: UInt64, sendSetup: Bool
    ) throws -> [UInt8] {
        var out = WireWriter()
        switch request {
        case .ping:
            out.byte(Tag.ping.rawValue)
        case .nic(let setup, let call):
            out.byte(Tag.nic.rawValue)
            try out.setup(setup, number: setupNumber, send: sendSetup)
            out.call(call)
        case .nics(let setup, let calls):
            out.byte(Tag.nics.rawValue)
            try out.setup(setup, number: setupNumber, send: sendSetup)
            out.number(UInt64(calls.count))
            for call in calls { out.call(call) }
        default:
            out.byte(Tag.json.rawValue)
            out.bytes += try JSONEncoder().encode(request)
        }
        return out.bytes
    }

    /// A request as the worker reads it, with the setups it was sent so far.
    public static func decodeRequest(
        _ bytes: [UInt8], setups: inout [UInt64: HookWorkerSetup]
    ) throws -> HookWorkerRequest {
        var input = WireReader(bytes)
        switch Tag(rawValue: try input.byte()) {
        case .ping?: return .ping
        case .nic?:
            return .nic(try input.setup(&setups), try input.call())
        case .nics?:
            let setup = try input.setup(&setups)
            let count = try input.number()
            guard count <= UInt64(input.bytes.count - input.offset) else { throw WireError("short message") }
            return .nics(setup, try (0..<count).map { _ in try input.call() })
        case .json?: return try JSONDecoder().decode(HookWorkerRequest.self, from: Data(input.rest()))
        default: throw WireError("not a request")
        }
    }

    /// The kinds of call lines, by their number on the wire.
    static let kinds: [HookCallLine.Kind] = [.call, .neverUndone, .undo, .notUndone]

    public static func encode(_ response: HookWorkerResponse) throws -> [UInt8] {
        var out = WireWriter()
        switch response {
        case .pong: out.byte(Tag.pong.rawValue)
        case .extend(let milliseconds):
            out.byte(Tag.extend.rawValue)
            out.number(UInt64(max(0, milliseconds)))
        case .calls(let calls):
            out.byte(Tag.calls.rawValue)
            out.number(UInt64(calls.count))
            for line in calls {
                out.string(line.call)
                out.byte(Self.kinds.firstIndex(of: line.kind).map(UInt8.init) ?? 0)
                out.string(line.reason ?? "")
            }
        default:
            out.byte(Tag.json.rawValue)
            out.bytes += try JSONEncoder().encode(response)
        }
        return out.bytes
    }

    public static func decodeResponse(_ bytes: [UInt8]) throws -> HookWorkerResponse {
        var input = WireReader(bytes)
        switch Tag(rawValue: try input.byte()) {
        case .pong?: return .pong
        case .extend?: return .extend(milliseconds: Int(clamping: try input.number()))
        case .calls?:
            let count = try input.number()
            guard count <= UInt64(input.bytes.count - input.offset) else { throw WireError("short message") }
            return .calls(
                try (0..<count).map { _ in
                    let call = try input.string()
                    let kind = Int(try input.byte())
                    guard kind < kinds.count else { throw WireError("call line kind \(kind)") }
                    let reason = try input.string()
                    return HookCallLine(call: call, kind: kinds[kind], reason: reason.isEmpty ? nil : reason)
                })
        case .json?: return try JSONDecoder().decode(HookWorkerResponse.self, from: Data(input.rest()))
        default: throw WireError("not an answer")
        }
    }
}

struct WireError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Appends numbers (LEB128), strings and byte strings (length first).
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func number(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func data(_ value: [UInt8]) {
        number(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { buffer in
            number(UInt64(buffer.count))
            bytes.append(contentsOf: buffer)
        }
    }

    mutating func optional(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func strings(_ values: [String]) {
        number(UInt64(values.count))
        for value in values { string(value) }
    }

    /// A setup by its number, in full (as JSON) the first time a worker is sent it.
    mutating func setup(_ setup: HookWorkerSetup, number value: UInt64, send: Bool) throws {
        number(value)
        bool(send)
        if send { data([UInt8](try JSONEncoder().encode(setup))) }
    }

    mutating func call(_ call: NICHookCall) {
        byte(call.action == .up ? 0 : 1)
        string(call.instance)
        strings(call.tags)
        nic(call.nic)
        number(UInt64(call.index))
        string(call.interface)
        byte(call.phase.map { $0 == .pre ? 1 : 2 } ?? 0)
        bool(call.dryRun)
    }

    /// A NIC as hooks see it; its guest placement (`hvinfo`), which no hook reads, as JSON.
    mutating func nic(_ nic: NICSpec) {
        string(nic.mac)
        optional(nic.ip)
        string(nic.uuid)
        optional(nic.name)
        string(nic.mode)
        optional(nic.link)
        optional(nic.vlan)
        optional(nic.network)
        bool(nic.netinfo != nil)
        if let info = nic.netinfo {
            string(info.name)
            optional(info.uuid)
            optional(info.subnet)
            optional(info.gateway)
            optional(info.subnet6)
            optional(info.gateway6)
            optional(info.macPrefix)
            strings(info.tags)
        }
        bool(nic.hvinfo != nil)
        if let info = nic.hvinfo { data((try? [UInt8](JSONEncoder().encode(info))) ?? []) }
    }
}

/// Reads what ``WireWriter`` wrote; a short or malformed input is an error, never a crash.
struct WireReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw WireError("short message") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() throws -> Bool { try byte() != 0 }

    mutating func number() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw WireError("number too long") }
            value |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func data() throws -> [UInt8] {
        let count = try number()
        guard count <= UInt64(bytes.count - offset) else { throw WireError("short message") }
        defer { offset += Int(count) }
        return Array(bytes[offset..<(offset + Int(count))])
    }

    mutating func string() throws -> String { String(decoding: try data(), as: UTF8.self) }

    mutating func optional() throws -> String? { try bool() ? try string() : nil }

    mutating func strings() throws -> [String] {
        let count = try number()
        guard count <= UInt64(bytes.count - offset) else { throw WireError("short message") }
        return try (0..<count).map { _ in try string() }
    }

    /// A setup sent in full now (kept in `setups`) or by the number it was sent with before.
    mutating func setup(_ setups: inout [UInt64: HookWorkerSetup]) throws -> HookWorkerSetup {
        let number = try number()
        if try bool() {
            setups[number] = try JSONDecoder().decode(HookWorkerSetup.self, from: Data(try data()))
        }
        guard let setup = setups[number] else { throw WireError("setup \(number) was never sent") }
        return setup
    }

    mutating func call() throws -> NICHookCall {
        let action: NetworkHookRunner.Action = try byte() == 0 ? .up : .down
        let instance = try string()
        let tags = try strings()
        let nic = try nic()
        let index = Int(try number())
        let interface = try string()
        let phase: NetworkHookRunner.Phase? =
            switch try byte() {
            case 1: .pre
            case 2: .post
            default: nil
            }
        return NICHookCall(
            action: action, instance: instance, tags: tags, nic: nic, index: index, interface: interface,
            phase: phase, dryRun: try bool())
    }

    mutating func nic() throws -> NICSpec {
        let mac = try string()
        let ip = try optional()
        let uuid = try string()
        let name = try optional()
        let mode = try string()
        let link = try optional()
        let vlan = try optional()
        let network = try optional()
        var netinfo: NetworkInfo?
        if try bool() {
            netinfo = NetworkInfo(
                name: try string(), uuid: try optional(), subnet: try optional(), gateway: try optional(),
                subnet6: try optional(), gateway6: try optional(), macPrefix: try optional(), tags: try strings())
        }
        let info = try bool() ? try JSONDecoder().decode(DeviceInfo.self, from: Data(try data())) : nil
        return NICSpec(
            mac: mac, ip: ip, uuid: uuid, name: name, mode: mode, link: link, vlan: vlan, network: network,
            netinfo: netinfo, hvinfo: info)
    }

    func rest() -> [UInt8] { Array(bytes[offset...]) }
}

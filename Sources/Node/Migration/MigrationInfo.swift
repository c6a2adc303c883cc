import Foundation
import QEMU

/// What a migration target needs from the source (`instance migration-info`): the instance's
/// spec (its tags, for the hooks) and its runtime (the argv, NICs and disks the target's qemu
/// must match), with the source's state directory, whose paths the target replaces by its own.
public struct MigrationInfo: Sendable {
    public static let format = "taphouse-migration-info/1"

    public var instance: String
    public var spec: InstanceSpec
    /// The spec as the source saved it, passed on unchanged.
    public var specText: [UInt8]
    public var runtime: QemuRuntime
    /// The source's state directory, as its runtime's paths name it.
    public var sourceStateDirectory: String

    /// The JSON document `migration-info` prints and `accept --migration-info` reads.
    public func json() -> JSONValue {
        let spec = (try? JSONValue.parse(specText)) ?? .null
        let runtime = (try? JSONValue.parse(runtime.serialized())) ?? .null
        return .object([
            "format": .string(Self.format), "instance": .string(instance),
            "state_directory": .string(sourceStateDirectory), "spec": spec, "runtime": runtime,
        ])
    }

    /// Reads the document; every refusal names `file` and the field.
    public static func parse(_ bytes: some DataProtocol, file: String) throws(SpecError) -> MigrationInfo {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw SpecError(file, "not valid JSON: \(JSONErrorText.describe(error))")
        }
        return try parse(json, file: file)
    }

    /// Reads the document from parsed JSON (an API request's body).
    public static func parse(_ json: JSONValue, file: String) throws(SpecError) -> MigrationInfo {
        guard let top = json.objectValue else { throw SpecError(file, "expected an object, got \(json.kind)") }
        guard top["format"]?.stringValue == format else {
            throw SpecError("\(file): format", "expected \"\(format)\", got \(top["format"]?.description ?? "nothing")")
        }
        guard let instance = top["instance"]?.stringValue else {
            throw SpecError("\(file): instance", "expected the instance's name")
        }
        guard let source = top["state_directory"]?.stringValue, source.hasPrefix("/") else {
            throw SpecError("\(file): state_directory", "expected the source's state directory, an absolute path")
        }
        guard let specJSON = top["spec"], specJSON.objectValue != nil else {
            throw SpecError("\(file): spec", "expected the instance's spec, an object")
        }
        let spec: InstanceSpec
        do {
            spec = try InstanceSpec.parse(specJSON)
        } catch {
            throw SpecError("\(file): spec.\(error.field)", error.reason)
        }
        guard spec.name == instance else {
            throw SpecError("\(file): spec.name", "\"\(spec.name)\" is not the instance \"\(instance)\"")
        }
        guard let runtimeJSON = top["runtime"] else { throw SpecError("\(file): runtime", "missing") }
        let runtime = try QemuRuntime.load(Array(runtimeJSON.text().utf8), name: "\(file): runtime").runtime
        // The program run is the runtime's kvm_path, which the target checks against its qemu
        // binaries: an argv that starts with anything else would run that as root.
        let qemu = runtime.hvparams.string("kvm_path")
        guard runtime.argv.first == qemu else {
            throw SpecError(
                "\(file): runtime[0][0]", "\(runtime.argv.first ?? "nothing") is not the runtime's kvm_path \(qemu)")
        }
        return MigrationInfo(
            instance: instance, spec: spec, specText: Array(specJSON.text().utf8), runtime: runtime,
            sourceStateDirectory: source)
    }
}

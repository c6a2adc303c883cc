import Foundation
import QEMU
import Testing

@testable import Node

/// What a target reads from a source (`migration-info`, `accept --migration-info`): the document
/// round-trips, every refusal names the file and the field, and the runtime's paths become the
/// target's; the addresses `--listen` and `--target` take.
@Suite("Migration info and addresses")
struct MigrationInfoTests {
    static let qemu = "/usr/bin/qemu-system-x86_64"

    static func info(argv0: String = qemu, name: String = "web1") throws -> MigrationInfo {
        let specText = Array(
            """
            {"name": "\(name)", "uuid": "6b8e5ac4-5d1c-4a8b-9c47-2f0a1b9e7d31", "hvparams": {"kvm_path": "\(qemu)"},
             "beparams": {"maxmem": 128, "vcpus": 1}, "nics": [], "disks": [], "tags": ["db"]}
            """.utf8)
        let spec = try InstanceSpec.parse(json: specText)
        let runtime = QemuRuntime(
            argv: [
                argv0, "-name", "web1", "-pidfile", "/var/lib/a/pid/web1", "-qmp",
                "unix:/var/lib/a/ctrl/web1.qmp,server=on,wait=off", "-kernel", "/var/lib/ab/vmlinuz",
            ],
            nics: [], hvparams: try HVParams.parse(["kvm_path": .string(qemu)]), disks: [])
        return MigrationInfo(
            instance: "web1", spec: spec, specText: specText, runtime: runtime, sourceStateDirectory: "/var/lib/a")
    }

    /// The document as text, changed by `edit`.
    static func text(_ edit: (inout [String: JSONValue]) -> Void = { _ in }) throws -> [UInt8] {
        guard case .object(var top) = try info().json() else { throw SpecError("", "not an object") }
        edit(&top)
        return Array(JSONValue.object(top).text().utf8)
    }

    @Test func theDocumentRoundTrips() throws {
        let original = try Self.info()
        let read = try MigrationInfo.parse(try Self.text(), file: "web1.json")
        #expect(read.instance == "web1")
        #expect(read.spec.tags == ["db"])
        #expect(read.runtime == original.runtime)
        #expect(read.sourceStateDirectory == "/var/lib/a")
    }

    @Test(arguments: [
        ("format", JSONValue.string("something/2"), "web1.json: format: expected \"taphouse-migration-info/1\""),
        ("instance", JSONValue.string("web2"), "web1.json: spec.name: \"web1\" is not the instance \"web2\""),
        ("state_directory", JSONValue.string("relative"), "web1.json: state_directory: expected the source's"),
        ("spec", JSONValue.array([]), "web1.json: spec: expected the instance's spec, an object"),
        ("runtime", JSONValue.object([:]), "web1.json: runtime: expected an array"),
    ])
    func aBadFieldIsNamed(_ field: String, _ value: JSONValue, _ message: String) throws {
        let bytes = try Self.text { $0[field] = value }
        #expect {
            try MigrationInfo.parse(bytes, file: "web1.json")
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func aRuntimeThatWouldRunAnotherProgramIsRefused() throws {
        let bytes = Array(try Self.info(argv0: "/bin/sh").json().text().utf8)
        #expect {
            try MigrationInfo.parse(bytes, file: "evil.json")
        } throws: { error in
            "\(error)" == "evil.json: runtime[0][0]: /bin/sh is not the runtime's kvm_path \(Self.qemu)"
        }
        #expect(throws: SpecError.self) { try MigrationInfo.parse(Array("{".utf8), file: "cut.json") }
    }

    @Test func theRuntimesPathsBecomeTheTargets() throws {
        let rebased = try Self.info().runtime.rebased(from: "/var/lib/a", to: "/srv/b")
        #expect(
            rebased.argv == [
                Self.qemu, "-name", "web1", "-pidfile", "/srv/b/pid/web1", "-qmp",
                "unix:/srv/b/ctrl/web1.qmp,server=on,wait=off", "-kernel", "/var/lib/ab/vmlinuz",
            ])
        #expect(try Self.info().runtime.rebased(from: "/var/lib/a", to: "/var/lib/a") == (try Self.info().runtime))
    }

    @Test func addressesAreNumericWithAPort() throws {
        #expect(try MigrationAddress("10.98.0.2:8102", field: "--listen").uri == "tcp:10.98.0.2:8102")
        let v6 = try MigrationAddress("[fd00::2]:8102", field: "--listen")
        #expect(v6.uri == "tcp:[fd00::2]:8102" && v6.description == "[fd00::2]:8102")
        for (text, reason) in [
            ("node-b:8102", "\"node-b\" is not a numeric IPv4 or IPv6 address"),
            ("10.98.0.2", "expected ADDRESS:PORT"), ("10.98.0.2:0", "the port must be a number from 1 to 65535"),
            ("10.98.0.2:70000", "the port must be a number from 1 to 65535"), ("[fd00::2]8102", "expected [IPV6]:PORT"),
        ] {
            #expect {
                try MigrationAddress(text, field: "--target")
            } throws: { error in
                "\(error)".contains("--target") && "\(error)".contains(reason)
            }
        }
    }
}

import Foundation
import Testing

@testable import QEMU

/// Ganeti's console rules (reference E), each as a case, and the description's JSON form and
/// checks (which the console policy hook's returns go through).
@Suite("Console rules and descriptions")
struct ConsoleRulesTests {
    static let argv = ["/usr/local/bin/taphouse", "instance", "console", "web1.example.com"]

    static func input(
        _ hvparams: JSONValue, port: Int? = nil, user: String = "root", sshPort: Int = 22
    ) throws -> ConsoleInput {
        ConsoleInput(
            instance: "web1.example.com", primaryNode: "node2.example.com", networkPort: port,
            hvparams: try HVParams.parse(hvparams), command: argv, sshUser: user, sshPort: sshPort)
    }

    // MARK: - Rules

    @Test func serialConsoleIsSSHToThePrimaryNodeRunningTheGivenArgv() throws {
        let description = ConsoleRules.describe(try Self.input(["serial_console": true]))
        #expect(description == .ssh(host: "node2.example.com", port: 22, user: "root", command: Self.argv))
    }

    @Test func serialConsoleUsesTheNodesSSHUserAndPort() throws {
        let description = ConsoleRules.describe(try Self.input([:], user: "ganeti", sshPort: 2222))
        #expect(description == .ssh(host: "node2.example.com", port: 2222, user: "ganeti", command: Self.argv))
    }

    @Test func vncAboveItsBasePortIsTheBindAddressVerbatimWithDisplayPortMinus5900() throws {
        for (bind, port, display) in [("0.0.0.0", 5901, 1), ("192.0.2.1", 6000, 100), ("eth0", 5905, 5)] {
            let description = ConsoleRules.describe(
                try Self.input(["serial_console": false, "vnc_bind_address": .string(bind)], port: port))
            #expect(description == .vnc(host: bind, port: port, display: display))
        }
    }

    @Test(arguments: [5900, 5899, 1])
    func vncAtOrBelowPort5900IsNoConsole(port: Int) throws {
        let description = ConsoleRules.describe(
            try Self.input(["serial_console": false, "vnc_bind_address": "0.0.0.0"], port: port))
        #expect(description == .message("No serial shell for instance web1.example.com"))
    }

    @Test func vncWithoutABindAddressOrAPortIsNoConsole() throws {
        let unbound = ConsoleRules.describe(try Self.input(["serial_console": false], port: 5901))
        #expect(unbound.kind == .message)
        let portless = ConsoleRules.describe(
            try Self.input(["serial_console": false, "vnc_bind_address": "0.0.0.0"], port: nil))
        #expect(portless.kind == .message)
    }

    @Test func spiceIsTheBindAddressAndThePortWithoutTLS() throws {
        let description = ConsoleRules.describe(
            try Self.input(["serial_console": false, "spice_bind": "192.0.2.5"], port: 6100))
        #expect(description == .spice(host: "192.0.2.5", port: 6100, tlsPort: nil))
    }

    @Test func spiceWithTLSHasThePortAsTLSPort() throws {
        let description = ConsoleRules.describe(
            try Self.input(["serial_console": false, "spice_bind": "192.0.2.5", "spice_use_tls": true], port: 6100))
        #expect(description == .spice(host: "192.0.2.5", port: 6100, tlsPort: 6100))
    }

    @Test func spiceWithoutAPortIsNoConsole() throws {
        let description = ConsoleRules.describe(
            try Self.input(["serial_console": false, "spice_bind": "192.0.2.5"], port: nil))
        #expect(description.kind == .message)
    }

    @Test func serialComesBeforeVNCAndVNCBeforeSPICE() throws {
        // The catalog refuses VNC and SPICE together, so VNC before SPICE is shown on the input
        // the rules take, with the parameters set past the catalog's check.
        let serial = ConsoleRules.describe(try Self.input(["vnc_bind_address": "0.0.0.0"], port: 5901))
        #expect(serial.kind == .ssh)
        let spiceSerial = ConsoleRules.describe(try Self.input(["spice_bind": "192.0.2.5"], port: 6100))
        #expect(spiceSerial.kind == .ssh)
        var both = try Self.input(["serial_console": false, "vnc_bind_address": "0.0.0.0"], port: 5901)
        var values = both.hvparams.values
        values["spice_bind"] = .string("192.0.2.5")
        both.hvparams = HVParams(values: values)
        #expect(ConsoleRules.describe(both) == .vnc(host: "0.0.0.0", port: 5901, display: 1))
        // VNC that does not apply (port 5900) falls through to SPICE.
        both.networkPort = 5900
        #expect(ConsoleRules.describe(both) == .spice(host: "192.0.2.5", port: 5900, tlsPort: nil))
    }

    @Test func noConsoleIsGanetisMessageNamingTheInstance() throws {
        let description = ConsoleRules.describe(try Self.input(["serial_console": false]))
        #expect(description == .message("No serial shell for instance web1.example.com"))
        #expect(description.message == "No serial shell for instance web1.example.com")
    }

    @Test func theConsoleParametersAreInTheCatalog() {
        for name in ConsoleRules.parameters { #expect(HVCatalog.parameter(name) != nil, "\(name)") }
    }

    // MARK: - JSON

    static func encoded(_ description: ConsoleDescription) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(description), as: UTF8.self)
    }

    @Test func eachKindEncodesOnlyItsFieldsInSnakeCase() throws {
        #expect(
            try Self.encoded(.ssh(host: "n1", port: 22, user: "root", command: ["taphouse", "instance"]))
                == #"{"command":["taphouse","instance"],"host":"n1","kind":"ssh","port":22,"user":"root"}"#)
        #expect(
            try Self.encoded(.vnc(host: "0.0.0.0", port: 5901, display: 1))
                == #"{"display":1,"host":"0.0.0.0","kind":"vnc","port":5901}"#)
        #expect(
            try Self.encoded(.spice(host: "h", port: 6100, tlsPort: 6100))
                == #"{"host":"h","kind":"spice","port":6100,"tls_port":6100}"#)
        #expect(
            try Self.encoded(.spice(host: "h", port: 6100, tlsPort: nil)) == #"{"host":"h","kind":"spice","port":6100}"#
        )
        #expect(try Self.encoded(.message("none")) == #"{"kind":"message","message":"none"}"#)
    }

    @Test func aDescriptionDecodesBackToItself() throws {
        for description: ConsoleDescription in [
            .ssh(host: "n1", port: 22, user: "root", command: ["a"]), .vnc(host: "h", port: 5901, display: 1),
            .spice(host: "h", port: 6100, tlsPort: 6100), .message("none"),
        ] {
            let data = try JSONEncoder().encode(description)
            #expect(try JSONDecoder().decode(ConsoleDescription.self, from: data) == description)
        }
    }

    // MARK: - Checks

    static func refusal(_ json: JSONValue) -> SpecError? {
        #expect(throws: SpecError.self) { try ConsoleDescription.parse(json) }
    }

    @Test func anUnknownOrMissingKindIsRefused() {
        #expect(
            Self.refusal(["kind": "rdp", "host": "h"])
                == SpecError("kind", #""rdp" is not a console kind (ssh, vnc, spice, message)"#))
        #expect(Self.refusal(["host": "h"])?.field == "kind")
    }

    @Test(arguments: [0, 65536, -1])
    func aPortOutOfRangeIsRefused(port: Int64) {
        #expect(
            Self.refusal(["kind": "vnc", "host": "h", "port": .int(port), "display": 1])
                == SpecError("port", "\(port) is not a port (1-65535)"))
        #expect(
            Self.refusal(["kind": "spice", "host": "h", "port": 6100, "tls_port": .int(port)])?.field == "tls_port")
    }

    @Test func aStringPortIsRefused() {
        #expect(
            Self.refusal(["kind": "vnc", "host": "h", "port": "5901", "display": 1])
                == SpecError("port", "expected an integer, got a string"))
    }

    @Test func eachKindsRequiredFieldsAreRequired() {
        #expect(Self.refusal(["kind": "ssh", "port": 22, "user": "root", "command": ["x"]])?.field == "host")
        #expect(Self.refusal(["kind": "ssh", "host": "h", "user": "root", "command": ["x"]])?.field == "port")
        #expect(Self.refusal(["kind": "ssh", "host": "h", "port": 22, "command": ["x"]])?.field == "user")
        #expect(Self.refusal(["kind": "ssh", "host": "h", "port": 22, "user": "root"])?.field == "command")
        #expect(Self.refusal(["kind": "vnc", "host": "h", "port": 5901])?.field == "display")
        #expect(Self.refusal(["kind": "spice", "port": 6100])?.field == "host")
        #expect(Self.refusal(["kind": "message"])?.field == "message")
    }

    @Test func theCommandMustBeANonEmptyListOfStrings() {
        let ssh: [String: JSONValue] = ["kind": "ssh", "host": "h", "port": 22, "user": "root"]
        func with(_ command: JSONValue) -> JSONValue { .object(ssh.merging(["command": command]) { $1 }) }
        #expect(Self.refusal(with([]))?.reason == "an argv of at least one string is required")
        #expect(Self.refusal(with(.object([:])))?.reason == "an argv of at least one string is required")
        #expect(Self.refusal(with("taphouse instance console"))?.field == "command")
        #expect(Self.refusal(with(["taphouse", 1]))?.field == "command[2]")
    }

    @Test func anotherKindsFieldOrAnUnknownFieldIsRefusedByName() {
        #expect(
            Self.refusal(["kind": "message", "message": "m", "display": 1])
                == SpecError("display", "kind message has no display (only vnc has)"))
        #expect(
            Self.refusal(["kind": "vnc", "host": "h", "port": 5901, "display": 1, "password": "x"])
                == SpecError("password", "unknown field (kind vnc has host, port, display)"))
    }

    @Test func anIntegralFloatPortIsAnInteger() throws {
        #expect(
            try ConsoleDescription.parse(["kind": "vnc", "host": "h", "port": .double(5901), "display": 1])
                == .vnc(host: "h", port: 5901, display: 1))
        #expect(Self.refusal(["kind": "vnc", "host": "h", "port": .double(5901.5), "display": 1])?.field == "port")
    }
}

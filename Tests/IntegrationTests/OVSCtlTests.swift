import Foundation
import Hooks
import HostNet
import Logging
import QEMU
import TestSupport
import Testing

/// An ovsdb-server of the test's own (no switch daemon: port records are all hooks touch).
final class TestOVSDB {
    let folder = TemporaryFolder()
    var socket: String { folder.path + "/db.sock" }
    var pid: Int32 = 0

    static var isAvailable: Bool {
        ["/usr/sbin/ovsdb-server", "/usr/bin/ovsdb-tool", "/usr/bin/ovs-vsctl"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    init() throws {
        let schema = "/usr/share/openvswitch/vswitch.ovsschema"
        try Self.run(["/usr/bin/ovsdb-tool", "create", folder.path + "/conf.db", schema])
        try Self.run([
            "/usr/sbin/ovsdb-server", folder.path + "/conf.db", "--remote=punix:" + socket,
            "--pidfile=" + folder.path + "/ovsdb.pid", "--unixctl=" + folder.path + "/ovsdb.ctl", "--detach",
            "--no-chdir", "--log-file=" + folder.path + "/ovsdb.log",
        ])
        pid =
            Int32(
                (try String(contentsOfFile: folder.path + "/ovsdb.pid", encoding: .utf8)).trimmingCharacters(
                    in: .whitespacesAndNewlines)) ?? 0
        try Self.run(["/usr/bin/ovs-vsctl", "--db=unix:" + socket, "--no-wait", "init"])
    }

    deinit { if pid > 0 { kill(pid, SIGTERM) } }

    static func run(_ argv: [String]) throws {
        let output = try BlockingCommand.run(argv, timeout: .seconds(20))
        guard output.status == 0 else {
            throw HostNetError(.command, argv.joined(separator: " "), detail: output.standardError)
        }
    }
}

@Suite("Open vSwitch through ovs-vsctl")
struct OVSCtlTests {
    @Test(.enabled(if: TestOVSDB.isAvailable, "openvswitch-switch is not installed (ovsdb-server, ovs-vsctl)"))
    func portsAreAddedTaggedTrunkedAndDeleted() throws {
        let db = try TestOVSDB()
        try TestOVSDB.run(["/usr/bin/ovs-vsctl", "--db=unix:" + db.socket, "--no-wait", "add-br", "ovs0"])
        let ovs = OVSCtl(database: "unix:" + db.socket, waitForSwitch: false)
        #expect(try ovs.port("tap0") == nil)
        try ovs.addPort(bridge: "ovs0", port: "tap0")
        #expect(try ovs.port("tap0") == OVSPort(name: "tap0", bridge: "ovs0"))
        try ovs.setPort("tap0", tag: 100, trunks: [200, 300])
        #expect(try ovs.port("tap0") == OVSPort(name: "tap0", bridge: "ovs0", tag: 100, trunks: [200, 300]))
        try ovs.setPort("tap0", tag: nil, trunks: [])
        #expect(try ovs.port("tap0") == OVSPort(name: "tap0", bridge: "ovs0"))
        try ovs.deletePort("tap0")
        #expect(try ovs.port("tap0") == nil)
        let missing = #expect(throws: HostNetError.self) { try ovs.deletePort("tap0") }
        #expect(missing?.code == .notFound)
        let noBridge = #expect(throws: HostNetError.self) { try ovs.addPort(bridge: "nosuch", port: "tap1") }
        #expect(noBridge?.description.contains("no bridge named nosuch") == true)
    }
}

@Suite("The openvswitch hook against a real ovsdb-server")
struct OpenVSwitchHookTests {
    @Test(.enabled(if: TestOVSDB.isAvailable, "openvswitch-switch is not installed (ovsdb-server, ovs-vsctl)"))
    func upAddsThePortWithTagAndTrunksAndDownRemovesIt() throws {
        let db = try TestOVSDB()
        try TestOVSDB.run(["/usr/bin/ovs-vsctl", "--db=unix:" + db.socket, "--no-wait", "add-br", "ovs0"])
        let ovs = OVSCtl(database: "unix:" + db.socket, waitForSwitch: false)
        let host = FakeHost()
        host.addLink("tap0", kind: "tun")
        let runner = NetworkHookRunner(
            directories: HookDirectories(
                builtin: Repository.path + "/hooks", site: nil, library: Repository.path + "/lua"),
            stateDirectory: db.folder.path + "/state", logger: Logger(label: "test"))
        let nic = NICSpec(
            mac: "aa:00:00:00:00:01", uuid: "003fc157-66a8-4e6d-8b7e-ec4f69751396", mode: "openvswitch", link: "ovs0",
            vlan: ".100:200")
        try runner.up(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
        #expect(try ovs.port("tap0") == OVSPort(name: "tap0", bridge: "ovs0", tag: 100, trunks: [200]))
        try runner.down(instance: "web1", tags: [], nic: nic, index: 0, interface: "tap0", network: host, ovs: ovs)
        #expect(try ovs.port("tap0") == nil)
    }
}

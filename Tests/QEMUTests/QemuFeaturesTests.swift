import Foundation
import HostNet
import Testing

@testable import QEMU

// Fixtures are real qemu output, never written by hand:
// - qemu-7.2-*.txt: `qemu-system-x86_64 --help`, `-machine help`, `-device help` of Debian 12's qemu 7.2.22.
// - qemu-5.2.0-help.txt, qemu-1.1.2-help.txt, qemu-6.0.0-machine.txt, qemu-10.2-help.txt,
//   qemu-10.2-machine.txt: Ganeti's test/data/kvm_*_help.txt and kvm_*_machine.txt (github.com/ganeti/ganeti).

/// Loads a fixture's text.
private func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    return try String(contentsOf: url, encoding: .utf8)
}

/// Runs `path` with `arguments` and returns its standard output.
private func output(of path: String, _ arguments: [String]) throws -> String {
    // BlockingCommand (posix_spawn), not Foundation's Process (swift-corelibs-foundation #5472).
    try BlockingCommand.run([path] + arguments, timeout: .seconds(60)).standardOutput
}

private let installedQemu = "/usr/bin/qemu-system-x86_64"

@Suite struct QemuFeaturesTests {
    // MARK: version

    @Test(
        "the version comes from the first line of --help",
        arguments: [
            ("qemu-7.2-help.txt", QemuVersion(7, 2, 22)),
            ("qemu-5.2.0-help.txt", QemuVersion(5, 2, 0)),
            ("qemu-10.2-help.txt", QemuVersion(10, 2, 2)),
        ])
    func versionFromFirstLine(file: String, version: QemuVersion) throws {
        #expect(try QemuFeatures.parse(help: fixture(file)).version == version)
    }

    @Test func versionWithoutMicroDefaultsMicroToZero() throws {
        let features = try QemuFeatures.parse(help: "QEMU emulator version 8.2 (custom build)\n-qmp dev\n")
        #expect(features.version == QemuVersion(8, 2, 0))
    }

    @Test func versionStopsAtAWordBoundaryBeforeAFourthComponent() throws {
        let features = try QemuFeatures.parse(help: "QEMU emulator version 8.2.2.1 (patched)\n")
        #expect(features.version == QemuVersion(8, 2, 2))
    }

    @Test func qemuOlderThanTheMinimumIsRefusedNamingBothVersions() throws {
        let help = try fixture("qemu-1.1.2-help.txt")
        #expect(throws: QemuHelpError(.tooOld, "qemu 1.1.2 is too old: taphouse needs qemu 5.0.0 or newer")) {
            try QemuFeatures.parse(help: help)
        }
    }

    @Test func firstLineWithoutVersionIsRefusedEvenIfALaterLineHasOne() {
        let help = "usage: qemu-system-x86_64 [options] [disk_image]\nQEMU emulator version 7.2.0\n"
        let expected = QemuHelpError(
            .noVersion,
            "cannot find a qemu version on the first line of its --help output: "
                + "'usage: qemu-system-x86_64 [options] [disk_image]'")
        #expect(throws: expected) { try QemuFeatures.parse(help: help) }
    }

    @Test func emptyHelpHasNoVersion() {
        #expect {
            try QemuFeatures.parse(help: "")
        } throws: { error in
            (error as? QemuHelpError)?.code == .noVersion
        }
    }

    // MARK: features of real help texts

    @Test func qemu72FeaturesMatchItsHelpText() throws {
        // 7.2 still lists -chroot and -runas (no -run-with) and -no-acpi; -soundhw was removed in 7.1.
        let features = try QemuFeatures.parse(help: fixture("qemu-7.2-help.txt"))
        let expected = QemuFeatures(
            version: QemuVersion(7, 2, 22), qmp: true, netdev: true, vhost: true, multiqueueFds: true,
            display: true, uuid: true, runWith: false, noACPI: true, spice: true, soundhw: false,
            autoReadOnly: true, machines: [], defaultMachine: nil, devices: nil)
        #expect(features == expected)
    }

    @Test func qemu520FeaturesMatchItsHelpText() throws {
        let features = try QemuFeatures.parse(help: fixture("qemu-5.2.0-help.txt"))
        let expected = QemuFeatures(
            version: QemuVersion(5, 2, 0), qmp: true, netdev: true, vhost: true, multiqueueFds: true,
            display: true, uuid: true, runWith: false, noACPI: true, spice: true, soundhw: true,
            autoReadOnly: true, machines: [], defaultMachine: nil, devices: nil)
        #expect(features == expected)
    }

    @Test func qemu102FeaturesMatchItsHelpText() throws {
        // 10.2 replaces -chroot/-runas with -run-with chroot=,user= and no longer has -no-acpi.
        let features = try QemuFeatures.parse(help: fixture("qemu-10.2-help.txt"))
        let expected = QemuFeatures(
            version: QemuVersion(10, 2, 2), qmp: true, netdev: true, vhost: true, multiqueueFds: true,
            display: true, uuid: true, runWith: true, noACPI: false, spice: true, soundhw: false,
            autoReadOnly: true, machines: [], defaultMachine: nil, devices: nil)
        #expect(features == expected)
    }

    // MARK: option blocks

    @Test func anOptionLineBetweenBlockdevAndAutoReadOnlyEndsTheBlock() throws {
        let inside = """
            QEMU emulator version 7.2.0
            -blockdev [driver=]driver[,node-name=N]
                      [,read-only=on|off][,auto-read-only=on|off]
            -fakeopt  something
            """
        let outside = """
            QEMU emulator version 7.2.0
            -blockdev [driver=]driver[,node-name=N]
            -fakeopt  something
                      [,read-only=on|off][,auto-read-only=on|off]
            """
        #expect(try QemuFeatures.parse(help: inside).autoReadOnly)
        #expect(try !QemuFeatures.parse(help: outside).autoReadOnly)
    }

    // Inline texts copy the shape of qemu 10.2's `-run-with` block (see qemu-10.2-help.txt) and break it.
    @Test func runWithNeedsChrootThenUserInsideItsOwnBlock() throws {
        let real = """
            QEMU emulator version 10.2.2
            -run-with [async-teardown=on|off][,chroot=dir]
                      [,exit-with-parent=on|off][,user=username|uid:gid]
                            Set miscellaneous QEMU process lifecycle options:
            -msg [timestamp[=on|off]][,guest-name=[on|off]]
            """
        let userInNextOption = """
            QEMU emulator version 10.2.2
            -run-with [async-teardown=on|off][,chroot=dir]
            -msg [timestamp[=on|off]][,guest-name=[on|off]]
                      [,user=username|uid:gid]
            """
        let userBeforeChroot = """
            QEMU emulator version 10.2.2
            -run-with [user=username|uid:gid][,chroot=dir]
            """
        let onlyAsyncTeardown = """
            QEMU emulator version 8.1.0
            -run-with async-teardown[=on|off]
            -chroot dir     chroot to dir just before starting the VM
            -runas user     change to user id user just before starting the VM
            """
        #expect(try QemuFeatures.parse(help: real).runWith)
        #expect(try !QemuFeatures.parse(help: userInNextOption).runWith)
        #expect(try !QemuFeatures.parse(help: userBeforeChroot).runWith)
        #expect(try !QemuFeatures.parse(help: onlyAsyncTeardown).runWith)
    }

    @Test func vhostMayBeOnAContinuationLineButNeedsANetdevTapLineBefore() throws {
        let continuation = """
            QEMU emulator version 6.0.0
            -netdev tap,id=str[,fd=h][,fds=x:y:...:z]
                     [,vnet_hdr=on|off][,vhost=on|off]
            """
        let onlyNetTap = """
            QEMU emulator version 6.0.0
            -net tap[,vlan=n][,fd=h][,vhost=on|off]
            """
        let continuationFeatures = try QemuFeatures.parse(help: continuation)
        #expect(continuationFeatures.vhost)
        #expect(continuationFeatures.multiqueueFds)
        #expect(try !QemuFeatures.parse(help: onlyNetTap).vhost)
    }

    @Test func multiqueueFdsNeedsTheLiteralDots() throws {
        let help = """
            QEMU emulator version 6.0.0
            -netdev tap,id=str[,fds=x:y:abc:z]
            """
        #expect(try !QemuFeatures.parse(help: help).multiqueueFds)
    }

    // MARK: machines and devices

    @Test func machinesAndDefaultFromQemu72MachineHelp() throws {
        let features = try QemuFeatures.parse(
            help: fixture("qemu-7.2-help.txt"), machineHelp: fixture("qemu-7.2-machine.txt"))
        #expect(features.defaultMachine == "pc-i440fx-7.2")
        #expect(features.machines.count == 61)
        #expect(features.machines.first == "microvm")
        #expect(features.machines.last == "x-remote")
        #expect(features.machines.contains("pc"))
        #expect(features.machines.contains("q35"))
        #expect(!features.machines.contains("Supported"))
    }

    @Test func machinesAndDefaultFromUbuntuQemu600MachineHelp() throws {
        let features = try QemuFeatures.parse(
            help: fixture("qemu-5.2.0-help.txt"), machineHelp: fixture("qemu-6.0.0-machine.txt"))
        #expect(features.defaultMachine == "pc-i440fx-impish")
        #expect(features.machines.count == 95)
        #expect(features.machines.contains("ubuntu"))
        #expect(features.machines.contains("pc-i440fx-hirsute-hpb"))
        #expect(features.machines.last == "x-remote")
    }

    @Test func machinesAndDefaultFromQemu102MachineHelp() throws {
        let features = try QemuFeatures.parse(
            help: fixture("qemu-10.2-help.txt"), machineHelp: fixture("qemu-10.2-machine.txt"))
        #expect(features.defaultMachine == "pc-i440fx-10.2")
        #expect(features.machines.count == 42)
        #expect(features.machines.contains("q35"))
        #expect(!features.machines.contains("pc-i440fx-4.2"))
    }

    @Test func machineHelpSkipsBlankLinesAndTextBeforeTheHeader() throws {
        let machineHelp = "warning: something\nSupported machines are:\n\npc   Standard PC (default)\n\nq35  Q35\n"
        let features = try QemuFeatures.parse(help: "QEMU emulator version 7.2.0\n", machineHelp: machineHelp)
        #expect(features.machines == ["pc", "q35"])
        #expect(features.defaultMachine == "pc")
    }

    @Test func devicesFromQemu72DeviceHelp() throws {
        let features = try QemuFeatures.parse(
            help: fixture("qemu-7.2-help.txt"), deviceHelp: fixture("qemu-7.2-device.txt"))
        let devices = try #require(features.devices)
        #expect(devices.count == 389)
        #expect(devices.isSuperset(of: ["virtio-net-pci", "virtio-blk-pci", "e1000", "virtio-scsi-pci"]))
        // Aliases (`alias "virtio-net"`) are not driver names.
        #expect(!devices.contains("virtio-net"))
    }

    @Test func withoutMachineOrDeviceHelpBothAreUnknown() throws {
        let features = try QemuFeatures.parse(help: fixture("qemu-7.2-help.txt"))
        #expect(features.machines.isEmpty)
        #expect(features.defaultMachine == nil)
        #expect(features.devices == nil)
    }

    @Test func supportsMachineAndDeviceCheckOnlyWhatIsKnown() throws {
        let known = try QemuFeatures.parse(
            help: fixture("qemu-7.2-help.txt"), machineHelp: fixture("qemu-7.2-machine.txt"),
            deviceHelp: fixture("qemu-7.2-device.txt"))
        #expect(known.supportsMachine("pc-q35-7.2"))
        #expect(!known.supportsMachine("pc-q35-9.0"))
        #expect(known.supportsDevice("virtio-net-pci"))
        #expect(!known.supportsDevice("no-such-device"))

        let unknown = try QemuFeatures.parse(help: fixture("qemu-7.2-help.txt"))
        #expect(unknown.supportsMachine("pc-q35-9.0"))
        #expect(unknown.supportsDevice("no-such-device"))
    }

    // MARK: drift

    // Skipped (with this reason printed) on machines without Debian's qemu, e.g. macOS developers.
    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: installedQemu),
            "\(installedQemu) is not installed: cannot compare the 7.2 fixture with a live qemu"))
    func committedQemu72FixtureMatchesTheInstalledQemu() throws {
        let live = try QemuFeatures.parse(help: output(of: installedQemu, ["--help"]))
        var committed = try QemuFeatures.parse(help: fixture("qemu-7.2-help.txt"))
        #expect(live.version.major == committed.version.major)
        #expect(live.version.minor == committed.version.minor)
        // Debian patch releases bump the micro version; what taphouse reads from the text must not move.
        committed.version = live.version
        #expect(live == committed)
    }
}

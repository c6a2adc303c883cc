import Foundation
import HostNet

#if canImport(Glibc)
import Glibc
#endif

/// The tiny Linux guest that tests boot under a real qemu to get real traffic through a NIC:
/// Debian's cloud kernel and a busybox initramfs, built by `scripts/build-test-guest.sh` into the
/// git-ignored `<repo>/.build-guest` (a few seconds the first time, about one after).
///
/// The guest reads its set-up from the kernel command line: `console=ttyS0 guest.ip=ADDR/PREFIX`,
/// and optionally `guest.gw=ADDR`, `guest.mac=MAC` (which NIC; else eth0) and `guest.poweroff=N`
/// (seconds; with qemu's `-no-reboot`, qemu then exits by itself). On the serial console it
/// prints `GUEST-READY ip=ADDR/PREFIX mac=MAC nic=NAME` once the address is up and
/// `busybox httpd` serves "taphouse test guest" on port 80, or `GUEST-ERROR reason`. Always wait
/// for it with a timeout (60 s is generous; about 3 s under TCG is normal) and kill the qemu you
/// started by its pid.
public enum TestGuest {
    /// A build that failed or did not say where it put the guest, with the script's own words.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The qemu the tests run; the guest is useless without it.
    public static let qemuPath = "/usr/bin/qemu-system-x86_64"

    /// The checkout, found from this file: `<repo>/Tests/TestSupport/TestGuest.swift`.
    public static let repositoryPath: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The build script.
    public static var scriptPath: String { repositoryPath + "/scripts/build-test-guest.sh" }

    /// Where the guest is built and cached (git-ignored).
    public static var cachePath: String { repositoryPath + "/.build-guest" }

    /// Builds the guest once per process (later calls return the first result, success or
    /// failure) and returns the paths of its kernel and initramfs, for qemu's `-kernel` and
    /// `-initrd`. Safe to call from parallel tests: the first caller builds, the others wait.
    public static func build() throws -> (kernel: String, initrd: String) {
        try built.get()
    }

    /// A static busybox for the host side of a test (the host has no `ping`); there once
    /// ``build()`` succeeded.
    public static var busybox: String { cachePath + "/busybox" }

    /// Why tests that boot the guest cannot run here (no qemu, or the guest cannot be built), or
    /// nil; use with `.enabled(if:)` and ``isAvailable``. The first read builds the guest.
    public static var unavailableReason: String? {
        guard FileManager.default.isExecutableFile(atPath: qemuPath) else {
            return "needs \(qemuPath) (qemu-system-x86)"
        }
        switch built {
        case .success: return nil
        case .failure(let failure): return "cannot build the test guest: \(failure)"
        }
    }

    /// Whether tests that boot the guest can run here.
    public static var isAvailable: Bool { unavailableReason == nil }

    /// qemu's `-accel` for the guest: "kvm" only where the kernel has kvm_intel or kvm_amd and
    /// /dev/kvm opens for reading and writing. kvm_pvm (a paravirtual KVM) opens too, but a Linux
    /// guest dies under it with "KVM internal error ... emulation failure" and qemu sits paused, so
    /// there, as without KVM, it is "tcg".
    public static var accelerator: String {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: "/sys/module/kvm_pvm") { return "tcg" }
        guard
            fileManager.fileExists(atPath: "/sys/module/kvm_intel")
                || fileManager.fileExists(atPath: "/sys/module/kvm_amd")
        else { return "tcg" }
        return access("/dev/kvm", R_OK | W_OK) == 0 ? "kvm" : "tcg"
    }

    /// A static let runs its initializer once, under the runtime's lock, and makes every other
    /// thread wait for it: parallel tests build once. The script also takes a file lock, for
    /// test processes running side by side.
    private static let built: Result<(kernel: String, initrd: String), Failure> = {
        do throws(Failure) {
            return .success(try runScript())
        } catch {
            return .failure(error)
        }
    }()

    private static func runScript() throws(Failure) -> (kernel: String, initrd: String) {
        // The caller's environment (proxies, APT_CONFIG) with a PATH that has apt and dpkg.
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        environment["LC_ALL"] = "C"
        let argv = ["/bin/bash", scriptPath, cachePath]
        let output: CommandRunner.Output
        do {
            output = try BlockingCommand.run(
                argv, timeout: .seconds(300), environment: environment.map { "\($0.key)=\($0.value)" })
        } catch {
            throw Failure(description: "\(argv.joined(separator: " ")): \(error)")
        }
        guard output.status == 0 else {
            throw Failure(
                description: "\(argv.joined(separator: " ")): exit \(output.status): "
                    + lastLines(output.standardError))
        }
        // The script prints the kernel's path, then the initramfs's; progress goes to stderr.
        let paths = output.standardOutput.split(separator: "\n").map(String.init)
        guard paths.count >= 2 else {
            throw Failure(description: "\(scriptPath) printed no paths: \(output.standardOutput)")
        }
        let guest = (kernel: paths[paths.count - 2], initrd: paths[paths.count - 1])
        for path in [guest.kernel, guest.initrd] where !FileManager.default.fileExists(atPath: path) {
            throw Failure(description: "\(scriptPath) printed \(path), which does not exist")
        }
        return guest
    }

    /// The end of a command's stderr: apt and dpkg say what went wrong last.
    private static func lastLines(_ text: String, count: Int = 10) -> String {
        text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }
}

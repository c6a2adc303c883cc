import Foundation
import Hooks
import QEMU
import QMP

extension InstanceManager {
    /// How to reach the console of a running instance: Ganeti's rules (serial, VNC, SPICE, else a
    /// message) computed natively, then the console policy hook (`console.lua`, a site override
    /// or the built-in) given the instance and that default; what it returns is checked.
    /// - Parameter command: the argv that attaches to the serial console on this node
    ///   (`taphouse instance console NAME` with the caller's path and options).
    public func console(
        _ name: String, command: [String], sshUser: String = "root", sshPort: Int = 22
    ) throws(InstanceError) -> ConsoleDescription {
        let files = try self.files(name, "console")
        guard let data = FileManager.default.contents(atPath: files.runtime),
            let runtime = try? QemuRuntime.load(data, name: files.runtime).runtime
        else { throw InstanceError(.notFound, name, "console", step: "reading the runtime", "no such instance") }
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.notFound, name, "console", step: "finding qemu", "the instance is not running")
        }
        let spec = FileManager.default.contents(atPath: files.spec).flatMap { try? InstanceSpec.parse(json: $0) }
        let input = ConsoleInput(
            instance: name, primaryNode: spec?.primaryNode ?? Self.hostName,
            networkPort: spec?.networkPort, hvparams: runtime.hvparams, command: command, sshUser: sshUser,
            sshPort: sshPort)
        do {
            return try hookCalls.console(
                ConsoleInstanceView(input, tags: spec?.tags ?? []), default: ConsoleRules.describe(input))
        } catch {
            throw InstanceError(name, "console", step: "console policy hook", caused: error, else: .hook)
        }
    }

    /// Attaches the terminal to the instance's serial console until Ctrl-] (or the console
    /// closes), and resumes a paused instance once attached, as Ganeti's console wrapper does, but
    /// with no fixed wait: the socket is connected before the CPUs run, so nothing the guest
    /// prints is lost. Returns how the attach ended.
    /// - Parameter connected: called once the console is connected and the terminal raw, before
    ///   the instance is resumed (a notice for the user; raw mode wants `\r\n`).
    public func attachSerialConsole(
        _ name: String, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, connected: () -> Void = {}
    ) throws(InstanceError) -> SerialConsole.Ending {
        let files = try self.files(name, "console")
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.notFound, name, "console", step: "finding qemu", "the instance is not running")
        }
        do {
            return try SerialConsole.attach(socket: state.serialSocket(name), input: input, output: output) {
                connected()
                return try resumeIfPaused(name) ? "Instance \(name) is paused, unpausing" : nil
            }
        } catch let error as InstanceError {
            throw error
        } catch {
            throw InstanceError(name, "console", step: "attaching the serial console", caused: error, else: .node)
        }
    }

    /// This node's name, for a spec that names no primary node (gethostname: Foundation's
    /// `hostName` may ask the resolver, which can hang on a node whose DNS is down).
    static var hostName: String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let status = buffer.withUnsafeMutableBytes {
            gethostname($0.baseAddress!.assumingMemoryBound(to: CChar.self), 255)
        }
        guard status == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// Resumes the CPUs of an instance that is paused or was started `--paused` (qemu's
    /// `prelaunch`); true when it did. Not one that is migrating or migrated away
    /// (`inmigrate`, `postmigrate`), which Ganeti's wrapper would have resumed too: running
    /// both copies of a guest corrupts its disks.
    func resumeIfPaused(_ name: String) throws(InstanceError) -> Bool {
        let files = try self.files(name, "console")
        let lock = try locked(files, "console")
        defer { withExtendedLifetime(lock) {} }
        do {
            let qmp = try QMPConnection.connect(path: state.qmpSocket(name), timeout: .seconds(10))
            defer { qmp.close() }
            guard case .object(let status) = try qmp.execute("query-status"),
                case .string(let state)? = status["status"], ["paused", "prelaunch"].contains(state)
            else { return false }
            _ = try qmp.execute("cont")
            return true
        } catch {
            throw InstanceError(name, "console", step: "resuming the CPUs", caused: error, else: .qemu)
        }
    }
}

import Foundation
import Hooks
import HostNet
import Logging
import LuaKit
import QEMU
import QMP
import SystemPackage

/// Starts, stops, reboots, lists, describes and cleans up the qemu instances of this node.
/// Every operation on an instance holds its lock; a failed start undoes everything it did (qemu,
/// hook journals, taps, files) before it reports the step that failed.
public final class InstanceManager {
    public let paths: NodePaths
    public let hooks: HookDirectories
    /// The uids `security_model=pool` instances run as.
    public let uidPool: UIDPool
    /// The qemu binaries a spec's `kvm_path` may name: the node decides what runs as root, a
    /// spec only picks among them.
    public let qemuBinaries: Set<String>
    public static let defaultQemuBinaries: Set<String> = [
        "/usr/bin/qemu-system-x86_64", "/usr/bin/kvm", "/usr/libexec/qemu-kvm",
    ]
    let logger: Logger
    /// Where the NIC and console hooks run.
    let hookCalls: NodeHooks

    /// - Parameter workers: the hook workers to run hooks in (the node's way); without, hooks run
    ///   in this process.
    public init(
        stateDirectory: String, hooks: HookDirectories, uidPool: UIDPool = UIDPool(ranges: []),
        qemuBinaries: Set<String> = InstanceManager.defaultQemuBinaries, workers: HookWorkerPool? = nil,
        hookLimits: LuaLimits = HookSandbox.defaultLimits, logger: Logger
    ) {
        paths = NodePaths(stateDirectory: stateDirectory)
        self.uidPool = uidPool
        self.qemuBinaries = qemuBinaries
        self.hooks = hooks
        self.logger = logger
        let setup = HookWorkerSetup(directories: hooks, stateDirectory: stateDirectory, limits: hookLimits)
        hookCalls = workers.map { WorkerHooks(pool: $0, setup: setup) } ?? LocalHooks(setup: setup, logger: logger)
    }

    // MARK: - Start

    /// Plans `spec`, saves its runtime and launches it; with `paused`, the CPUs stay stopped.
    public func start(_ spec: InstanceSpec, specText: [UInt8], paused: Bool) async throws(InstanceError) {
        let files = InstanceFiles(paths: paths, name: spec.name)
        let lock = try locked(files, "start")
        defer { withExtendedLifetime(lock) {} }
        try reconcile(files, "start")
        let features = try await probe(spec.hvparams.string("kvm_path"), spec.name, "start")
        do {
            try spec.hvparams.checkOnNode(LocalNodeFacts.make(features: features))
        } catch {
            throw InstanceError(spec.name, "start", step: "checking the node", error.description)
        }
        let plan: QemuPlan
        do {
            plan = try QemuPlanner.plan(spec, features: features, paths: paths)
        } catch {
            throw InstanceError(spec.name, "start", step: "planning", error.description)
        }
        var rollback = Rollback()
        do {
            try write(specText, to: files.spec, &rollback)
            try write(Array(plan.runtime.serialized()), to: files.runtime, &rollback)
        } catch {
            var failure = InstanceError(spec.name, "start", step: "saving the runtime", "\(error)")
            failure.undoFailures = rollback.run()
            throw failure
        }
        try launch(files, plan.runtime, features: features, tags: spec.tags, paused: paused, "start", rollback)
    }

    /// Starts from a saved runtime (a soft reboot, or a start whose runtime was kept).
    private func launch(
        _ files: InstanceFiles, _ runtime: QemuRuntime, features: QemuFeatures, tags: [String], paused: Bool,
        _ operation: String, _ rollback: Rollback
    ) throws(InstanceError) {
        var rollback = rollback
        var step = "opening taps"
        func fail(_ message: String, qemuOutput: String? = nil) -> InstanceError {
            var failure = InstanceError(files.name, operation, step: step, message, qemuOutput: qemuOutput)
            failure.undoFailures = rollback.run()
            return failure
        }
        let hv = runtime.hvparams
        var taps: [Tap] = []
        defer { for tap in taps { tap.close() } }
        var lease: UIDLease?  // a pool uid stays locked until qemu runs under it
        defer { lease?.unlock() }
        do {
            try FileManager.default.createDirectory(atPath: files.nicFolder, withIntermediateDirectories: true)
            rollback.add("folder \(files.nicFolder)") { try FileManager.default.removeItem(atPath: files.nicFolder) }
            for (index, nic) in runtime.nics.enumerated() {
                step = "opening the tap of NIC \(index)"
                let virtio = nic.hvinfo?.driver.hasPrefix("virtio-net") ?? false
                let tap = try Tap.create(vnetHeader: true, queues: virtio ? hv.int("virtio_net_queues") : 1)
                taps.append(tap)
                try write(Array((tap.name + "\n").utf8), to: files.nicFile(index), &rollback)
            }
            step = "preparing the node"
            var options = ExecutionOptions(taps: [], stopped: true)
            // Read before qemu runs: a bad password file then costs no qemu. qemu refuses VNC and
            // SPICE clients until set_password (`password=on`; no `disable-ticketing`).
            var passwords: [(display: String, password: String)] = []
            for display in ["vnc", "spice"] where !hv.string("\(display)_password_file").isEmpty {
                let parameter = "\(display)_password_file"
                passwords.append((display, try PasswordFile.read(hv.string(parameter), parameter: parameter)))
            }
            // vhost: one /dev/vhost-net fd per queue of each virtio NIC, handed over with the taps.
            var vhost: [[FileDescriptor]] = Array(repeating: [], count: taps.count)
            defer { for fd in vhost.joined() { try? fd.close() } }
            if hv.bool("vhost_net") {
                guard FileManager.default.fileExists(atPath: "/dev/vhost-net") else {
                    throw NodeError(.file, "vhost_net is on, but this node has no /dev/vhost-net")
                }
                for (index, nic) in runtime.nics.enumerated() where nic.hvinfo?.driver.hasPrefix("virtio-net") ?? false
                {
                    for _ in taps[index].fds {
                        vhost[index].append(
                            try FileDescriptor.open("/dev/vhost-net", .readWrite, options: [.closeOnExec]))
                    }
                }
            }
            switch hv.string("security_model") {
            case "user":
                let user = hv.string("security_domain")
                guard getpwnam(user) != nil else {
                    throw NodeError(.file, "security_domain user \(user) does not exist")
                }
                options.user = user
            case "pool":
                let taken = try UIDLease.take(from: uidPool, folder: files.uidPool)
                lease = taken
                rollback.add("uid \(taken.uid)") { UIDLease.release(taken.uid, folder: files.uidPool) }
                let lease = taken
                try write(Array("\(lease.uid)\n".utf8), to: files.uid, &rollback)
                options.user = lease.user
            default: break
            }
            if hv.bool("use_chroot") {
                // 0700, as Ganeti: qemu enters it as root before it drops to its user.
                try FileManager.default.createDirectory(
                    atPath: files.chroot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                options.chroot = files.chroot
            }
            for socket in files.sockets + [files.pidFile] { unlink(socket) }
            try FileManager.default.createDirectory(
                atPath: (files.pidFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: (paths.qmpSocket(files.name) as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            // qemu gets the tap (and vhost) fds as 3, 4, ... in NIC order, and no other
            // descriptor of ours.
            var passing: [Int32] = []
            func handOver(_ fd: FileDescriptor) -> Int32 {
                passing.append(fd.rawValue)
                return Int32(2 + passing.count)
            }
            options.taps = zip(taps, vhost).map { tap, vhostFds in
                TapHandles(fds: tap.fds.map(handOver), vhostFds: vhostFds.map(handOver))
            }
            let argv = try QemuPlanner.commandLine(runtime, features: features, options: options)

            // qemu starts with its CPUs stopped (-S), so the NICs' up hooks run while it
            // initialises: no guest code runs before they all succeeded, and a failed one kills it.
            step = "launching qemu"
            let launcher = try BlockingCommand.spawn(argv, passing: passing)
            rollback.add("qemu") {
                // The launcher returns once qemu daemonized (or failed): only then is the pid file
                // there to say which process to stop.
                _ = try? launcher.wait(timeout: .seconds(60))
                if let qemu = QemuProcess.find(pidFile: files.pidFile) { _ = qemu.terminate(grace: .seconds(2)) }
            }
            for (index, nic) in runtime.nics.enumerated() {
                step = "NIC \(index) up hook"
                let call = NICHookCall(
                    action: .up, instance: files.name, tags: tags, nic: nic, index: index, interface: taps[index].name)
                _ = try hookCalls.nic(call)
                rollback.add("NIC \(index) down hook") { [hookCalls] in
                    var down = call
                    down.action = .down
                    _ = try hookCalls.nic(down)
                }
            }
            step = "launching qemu"
            let output = try launcher.wait(timeout: .seconds(60))
            guard output.status == 0 else {
                throw fail("exit status \(output.status)", qemuOutput: output.standardError)
            }
            for tap in taps { tap.close() }  // qemu holds them now; the taps go when it exits
            guard let qemu = QemuProcess.find(pidFile: files.pidFile) else {
                throw fail(
                    "qemu exited without a live process behind \(files.pidFile)", qemuOutput: output.standardError)
            }

            step = "connecting QMP"
            let qmp = try QMPConnection.connect(path: paths.qmpSocket(files.name), timeout: .seconds(10))
            defer { qmp.close() }
            for (display, password) in passwords {
                step = "setting the \(display == "vnc" ? "VNC" : "SPICE") password"
                _ = try qmp.execute(
                    "set_password", arguments: ["protocol": .string(display), "password": .string(password)])
            }
            if !paused {
                step = "resuming the CPUs"
                _ = try qmp.execute("cont")
            }
            logger.info("instance started", metadata: ["instance": "\(files.name)", "pid": "\(qemu.pid)"])
        } catch let error as InstanceError {
            throw error
        } catch let error as HookError {
            throw fail(error.description)
        } catch {
            throw fail("\(error)")
        }
    }

    // MARK: - Stop, reboot, cleanup

    /// Stops the instance: ACPI powerdown (when acpi is on and not `force`) with `timeout`, then
    /// SIGTERM, then SIGKILL; then `down` for every NIC and the files. Returns when it is gone.
    public func stop(_ name: String, force: Bool, timeout: Duration) throws(InstanceError) {
        let files = try self.files(name, "stop")
        let lock = try locked(files, "stop")
        defer { withExtendedLifetime(lock) {} }
        guard exists(files) else { throw InstanceError(name, "stop", step: "finding it", "no such instance") }
        try halt(files, force: force, timeout: timeout, "stop")
        try clean(files, "stop")
    }

    /// A soft reboot: the guest is shut down (ACPI, with `timeout`; killed only once the deadline
    /// passed) and started again from its saved runtime.
    public func reboot(_ name: String, timeout: Duration) async throws(InstanceError) {
        let files = try self.files(name, "reboot")
        let lock = try locked(files, "reboot")
        defer { withExtendedLifetime(lock) {} }
        guard let data = FileManager.default.contents(atPath: files.runtime) else {
            throw InstanceError(name, "reboot", step: "reading the runtime", "no runtime at \(files.runtime)")
        }
        let runtime: QemuRuntime
        do {
            runtime = try QemuRuntime.load(data, name: files.runtime).runtime
        } catch {
            throw InstanceError(name, "reboot", step: "reading the runtime", error.description)
        }
        let tags = savedTags(files)
        try halt(files, force: false, timeout: timeout, "reboot")
        try downNICs(files, runtime, tags: tags, "reboot")
        let features = try await probe(runtime.hvparams.string("kvm_path"), name, "reboot")
        try launch(files, runtime, features: features, tags: tags, paused: false, "reboot", Rollback())
    }

    /// Clears what a dead instance left (its NICs' journals are undone, its files removed);
    /// refuses a live one.
    public func cleanup(_ name: String) throws(InstanceError) {
        let files = try self.files(name, "cleanup")
        let lock = try locked(files, "cleanup")
        defer { withExtendedLifetime(lock) {} }
        if let qemu = QemuProcess.find(pidFile: files.pidFile) {
            throw InstanceError(name, "cleanup", step: "checking qemu", "qemu runs (pid \(qemu.pid)): stop it first")
        }
        guard exists(files) else { throw InstanceError(name, "cleanup", step: "finding it", "no such instance") }
        try clean(files, "cleanup")
    }

    // MARK: - List and info

    /// Every instance with state on this node, by name.
    public func list() -> [InstanceInfo] {
        let conf = (try? FileManager.default.contentsOfDirectory(atPath: paths.stateDirectory + "/conf")) ?? []
        let names = Set(conf.filter { $0.hasSuffix(".runtime") }.map { String($0.dropLast(".runtime".count)) })
        return names.sorted().compactMap { try? info($0, detailed: false) }
    }

    /// The instance: its qemu, state, memory and vCPUs (from QMP when it runs), and its NICs.
    public func info(_ name: String, detailed: Bool = true) throws(InstanceError) -> InstanceInfo {
        let files = try self.files(name, "info")
        guard let data = FileManager.default.contents(atPath: files.runtime),
            let runtime = try? QemuRuntime.load(data, name: files.runtime).runtime
        else { throw InstanceError(name, "info", step: "reading the runtime", "no such instance") }
        var info = InstanceInfo(
            name: name, pid: nil, state: .stopped, memoryMiB: nil, vcpus: nil,
            nics: runtime.nics.enumerated().map { index, nic in
                let journal = try? Journal.load(
                    path: Journal.path(stateDirectory: paths.stateDirectory, instance: name, nicIndex: index))
                var hook: String?
                var version: String?
                if case .begin(let file, let hash, _, _, _, _)? = journal?.entries.first {
                    (hook, version) = (file, hash)
                }
                let tap = (try? String(contentsOfFile: files.nicFile(index), encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                return InstanceInfo.NIC(
                    index: index, tap: tap, mode: nic.mode, link: nic.link, mac: nic.mac, hook: hook,
                    hookVersion: version)
            })
        guard let qemu = QemuProcess.find(pidFile: files.pidFile) else { return info }
        info.pid = qemu.pid
        info.state = .running
        guard let qmp = try? QMPConnection.connect(path: paths.qmpSocket(name), timeout: .seconds(5)) else {
            return info
        }
        defer { qmp.close() }
        if case .object(let status)? = try? qmp.execute("query-status"), status["running"] == .bool(false) {
            info.state = .paused
        }
        if detailed {
            if case .object(let memory)? = try? qmp.execute("query-memory-size-summary"),
                case .int(let bytes)? = memory["base-memory"]
            {
                info.memoryMiB = Int(bytes >> 20)
            }
            if case .array(let cpus)? = try? qmp.execute("query-cpus-fast") { info.vcpus = cpus.count }
        }
        return info
    }

    // MARK: - Steps shared by the verbs

    func files(_ name: String, _ operation: String) throws(InstanceError) -> InstanceFiles {
        guard HostName.problem(name) == nil else {
            throw InstanceError(name, operation, step: "checking the name", "not a valid instance name")
        }
        return InstanceFiles(paths: paths, name: name)
    }

    func locked(_ files: InstanceFiles, _ operation: String) throws(InstanceError) -> InstanceLock {
        do {
            return try InstanceLock.acquire(files.lock, timeout: .seconds(30))
        } catch {
            throw InstanceError(files.name, operation, step: "taking the instance lock", error.description)
        }
    }

    private func exists(_ files: InstanceFiles) -> Bool {
        [files.runtime, files.pidFile, files.nicFolder, files.uid].contains {
            FileManager.default.fileExists(atPath: $0)
        }
    }

    private func probe(
        _ qemu: String, _ name: String, _ operation: String
    ) async throws(InstanceError)
        -> QemuFeatures
    {
        guard qemuBinaries.contains(qemu) else {
            throw InstanceError(
                name, operation, step: "checking the node",
                "hvparams.kvm_path: \(qemu) is not one of this node's qemu binaries (\(qemuBinaries.sorted().joined(separator: ", "))); a node adds one with --qemu-binary"
            )
        }
        do {
            return try await QemuProbe.features(of: qemu, cache: paths.stateDirectory + "/cache")
        } catch {
            throw InstanceError(name, operation, step: "asking \(qemu) what it supports", "\(error)")
        }
    }

    /// Before a start: a live qemu is an error; what a dead one (or a start cut short) left is
    /// cleared first, its NICs' journals undone.
    private func reconcile(_ files: InstanceFiles, _ operation: String) throws(InstanceError) {
        if let qemu = QemuProcess.find(pidFile: files.pidFile) {
            throw InstanceError(files.name, operation, step: "checking qemu", "already running (pid \(qemu.pid))")
        }
        if exists(files) { try clean(files, operation) }
    }

    /// Brings qemu down: ACPI (unless forced or acpi is off) up to `timeout`, then signals.
    private func halt(
        _ files: InstanceFiles, force: Bool, timeout: Duration, _ operation: String
    ) throws(InstanceError) {
        guard let qemu = QemuProcess.find(pidFile: files.pidFile) else { return }
        let runtime = FileManager.default.contents(atPath: files.runtime).flatMap {
            try? QemuRuntime.load($0).runtime
        }
        if !force, runtime?.hvparams.bool("acpi") ?? true,
            let qmp = try? QMPConnection.connect(path: paths.qmpSocket(files.name), timeout: .seconds(5))
        {
            _ = try? qmp.execute("system_powerdown")
            qmp.close()
            if qemu.waitForExit(timeout) { return }
            logger.warning("ACPI powerdown timed out", metadata: ["instance": "\(files.name)"])
        }
        guard qemu.terminate(grace: .seconds(5)) else {
            throw InstanceError(files.name, operation, step: "killing qemu", "pid \(qemu.pid) survived SIGKILL")
        }
    }

    /// `down` for every NIC that has a journal or a tap file, then the instance's files.
    private func clean(_ files: InstanceFiles, _ operation: String) throws(InstanceError) {
        if let data = FileManager.default.contents(atPath: files.runtime),
            let runtime = try? QemuRuntime.load(data).runtime
        {
            try downNICs(files, runtime, tags: savedTags(files), operation)
        }
        var failures: [String] = []
        if FileManager.default.fileExists(atPath: files.chroot) {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: files.chroot)) ?? []
            if entries.isEmpty {
                try? FileManager.default.removeItem(atPath: files.chroot)
            } else {
                // As Ganeti: a fresh mkdtemp folder per quarantine, named after the instance and
                // the time, so that two in the same second do not collide; the chroot goes inside.
                try? FileManager.default.createDirectory(atPath: files.quarantine, withIntermediateDirectories: true)
                var template = Array(
                    "\(files.quarantine)/\(files.name)-\(Int(Date().timeIntervalSince1970))-XXXXXX".utf8CString)
                let folder = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map {
                    String(cString: $0)
                }
                let target = (folder ?? files.quarantine) + "/" + files.name
                do {
                    try FileManager.default.moveItem(atPath: files.chroot, toPath: target)
                    logger.warning(
                        "chroot was not empty: quarantined", metadata: ["instance": "\(files.name)", "to": "\(target)"])
                } catch {
                    failures.append("chroot \(files.chroot): \(error)")
                }
            }
        }
        if let text = try? String(contentsOfFile: files.uid, encoding: .utf8),
            let uid = UInt32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            UIDLease.release(uid, folder: files.uidPool)
        }
        for path in files.sockets + [files.pidFile, files.runtime, files.spec, files.nicFolder, files.uid] {
            guard FileManager.default.fileExists(atPath: path) else { continue }
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                failures.append("\(path): \(error)")
            }
        }
        if !failures.isEmpty {
            var error = InstanceError(files.name, operation, step: "removing its files", "some files stayed")
            error.undoFailures = failures
            throw error
        }
    }

    private func downNICs(
        _ files: InstanceFiles, _ runtime: QemuRuntime, tags: [String], _ operation: String
    ) throws(InstanceError) {
        var failures: [String] = []
        for (index, nic) in runtime.nics.enumerated() {
            let journal = Journal.path(stateDirectory: paths.stateDirectory, instance: files.name, nicIndex: index)
            let tap = (try? String(contentsOfFile: files.nicFile(index), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard FileManager.default.fileExists(atPath: journal) || tap != nil else { continue }
            do {
                _ = try hookCalls.nic(
                    NICHookCall(
                        action: .down, instance: files.name, tags: tags, nic: nic, index: index, interface: tap ?? ""))
            } catch {
                failures.append("NIC \(index): \(error)")
            }
            try? FileManager.default.removeItem(atPath: files.nicFile(index))
        }
        if !failures.isEmpty {
            var error = InstanceError(files.name, operation, step: "NIC down hooks", "some NICs were not undone")
            error.undoFailures = failures
            throw error
        }
    }

    private func savedTags(_ files: InstanceFiles) -> [String] {
        guard let data = FileManager.default.contents(atPath: files.spec),
            let spec = try? InstanceSpec.parse(json: data)
        else { return [] }
        return spec.tags
    }

    /// Writes a state file atomically (temp, fsync, rename) and registers its removal.
    private func write(_ bytes: [UInt8], to path: String, _ rollback: inout Rollback) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        rollback.add("file \(path)") { try FileManager.default.removeItem(atPath: path) }
    }
}

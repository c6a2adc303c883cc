import Foundation
import Hooks
import HostNet
import QEMU
import QMP
import SystemPackage

/// A start (or a reboot's second half) as steps, each registering its own undo with the one
/// rollback: taps, preparation, spawn, the NICs' `up` hooks with their phase, qemu's pid, QMP,
/// resume. An incoming migration reuses them, with `-incoming` and the `pre` phase.
extension InstanceManager {
    /// What ``prepare(_:_:taps:rollback:)`` gathered for the spawn.
    struct Prepared {
        var argv: [String]
        /// The fds qemu gets as 3, 4, ... (taps, then vhost), in order.
        var passing: [Int32]
        /// The VNC and SPICE passwords, set through QMP once qemu runs.
        var passwords: [(display: String, password: String)]
        /// Open until qemu has them.
        var vhost: [FileDescriptor]
        /// A pool uid stays locked until qemu runs under it.
        var lease: UIDLease?

        func release() {
            for fd in vhost { try? fd.close() }
            lease?.unlock()
        }
    }

    /// Starts from a saved runtime (a soft reboot, or a start whose runtime was kept).
    func launch(
        _ files: InstanceFiles, _ runtime: QemuRuntime, features: QemuFeatures, tags: [String], paused: Bool,
        _ operation: String, _ rollback: Rollback, incoming: IncomingMigration? = nil
    ) throws(InstanceError) {
        var rollback = rollback
        var step = "opening taps"
        // The one place the rollback runs: every failure below is thrown to it.
        func fail(_ error: any Error) -> InstanceError {
            var failure =
                error as? InstanceError ?? InstanceError(files.name, operation, step: step, caused: error, else: .node)
            failure.undoFailures = rollback.run()
            return failure
        }
        do {
            let taps = try openTaps(files, runtime, &rollback, step: &step)
            defer { for tap in taps { tap.close() } }
            try FaultPoint.reach("\(operation).taps", files)
            step = "preparing the node"
            let prepared = try prepare(files, runtime, features: features, taps: taps, incoming: incoming, &rollback)
            defer { prepared.release() }
            try FaultPoint.reach("\(operation).prepared", files)
            // qemu starts with its CPUs stopped (-S), so the NICs' up hooks run while it
            // initialises: no guest code runs before they all succeeded, and a failed one kills it.
            // A migration target's guest cannot run before it arrived, which is after accept.
            step = "launching qemu"
            let launcher = try spawn(files, prepared, &rollback)
            try FaultPoint.reach("\(operation).spawned", files)
            try upHooks(files, runtime, taps: taps, tags: tags, incoming: incoming != nil, &rollback, step: &step)
            try FaultPoint.reach("\(operation).up", files)
            step = "launching qemu"
            let output = try launcher.wait(timeout: .seconds(60))
            guard output.status == 0 else {
                throw InstanceError(
                    .qemu, files.name, operation, step: step, "exit status \(output.status)",
                    qemuOutput: output.standardError)
            }
            for tap in taps { tap.close() }  // qemu holds them now; the taps go when it exits
            guard let qemu = QemuProcess.find(pidFile: files.pidFile) else {
                throw InstanceError(
                    .qemu, files.name, operation, step: step,
                    "qemu exited without a live process behind \(files.pidFile)", qemuOutput: output.standardError)
            }
            try FaultPoint.reach("\(operation).qmp", files)
            try resume(
                files, prepared.passwords, paused: paused || incoming != nil,
                capabilities: incoming?.capabilities ?? [],
                step: &step)
            try FaultPoint.reach("\(operation).resumed", files)
            logger.info("instance started", metadata: ["instance": "\(files.name)", "pid": "\(qemu.pid)"])
        } catch {
            throw fail(error)
        }
    }

    /// One tap per NIC (vnet_hdr; multiqueue for virtio's queues), its name in the NIC file.
    private func openTaps(
        _ files: InstanceFiles, _ runtime: QemuRuntime, _ rollback: inout Rollback, step: inout String
    ) throws -> [Tap] {
        try FileManager.default.createDirectory(atPath: files.nicFolder, withIntermediateDirectories: true)
        rollback.add("folder \(files.nicFolder)") { try FileManager.default.removeItem(atPath: files.nicFolder) }
        var taps: [Tap] = []
        do {
            for (index, nic) in runtime.nics.enumerated() {
                step = "opening the tap of NIC \(index)"
                let tap = try Tap.create(vnetHeader: true, queues: runtime.queues(nic))
                taps.append(tap)
                try write(Array((tap.name + "\n").utf8), to: files.nicFile(index), &rollback)
            }
        } catch {
            for tap in taps { tap.close() }
            throw error
        }
        return taps
    }

    /// What qemu needs before it runs: passwords read (a bad file then costs no qemu), vhost
    /// fds, the user of the security model, the chroot, stale sockets gone, and the argv.
    private func prepare(
        _ files: InstanceFiles, _ runtime: QemuRuntime, features: QemuFeatures, taps: [Tap],
        incoming: IncomingMigration?, _ rollback: inout Rollback
    ) throws -> Prepared {
        let hv = runtime.hvparams
        var prepared = Prepared(argv: [], passing: [], passwords: [], vhost: [], lease: nil)
        var done = false
        defer { if !done { prepared.release() } }
        // A target whose guest needs no `post` phase runs it as soon as it arrived.
        let stopped = incoming == nil || IncomingMigration.waitsForPost(runtime.nics.map(\.mode))
        var options = ExecutionOptions(taps: [], stopped: stopped, incoming: incoming?.listen.uri)
        // qemu refuses VNC and SPICE clients until set_password (`password=on`; no
        // `disable-ticketing`).
        for display in ["vnc", "spice"] where !hv.string("\(display)_password_file").isEmpty {
            let parameter = "\(display)_password_file"
            prepared.passwords.append((display, try PasswordFile.read(hv.string(parameter), parameter: parameter)))
        }
        // vhost: one /dev/vhost-net fd per queue of each virtio NIC, handed over with the taps.
        var vhost: [[FileDescriptor]] = Array(repeating: [], count: taps.count)
        if hv.bool("vhost_net") {
            guard FileManager.default.fileExists(atPath: "/dev/vhost-net") else {
                throw NodeError(.file, "vhost_net is on, but this node has no /dev/vhost-net")
            }
            for (index, nic) in runtime.nics.enumerated() where nic.hvinfo?.driver.hasPrefix("virtio-net") ?? false {
                for _ in taps[index].fds {
                    let fd = try FileDescriptor.open("/dev/vhost-net", .readWrite, options: [.closeOnExec])
                    vhost[index].append(fd)
                    prepared.vhost.append(fd)
                }
            }
        }
        switch hv.string("security_model") {
        case "user":
            let user = hv.string("security_domain")
            guard getpwnam(user) != nil else { throw NodeError(.file, "security_domain user \(user) does not exist") }
            options.user = user
        case "pool":
            let lease = try UIDLease.take(from: uidPool, folder: files.uidPool)
            prepared.lease = lease
            rollback.add("uid \(lease.uid)") { UIDLease.release(lease.uid, folder: files.uidPool) }
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
        try FileManager.default.createDirectory(atPath: state.pidFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: state.ctrl, withIntermediateDirectories: true)
        // qemu gets the tap (and vhost) fds as 3, 4, ... in NIC order, and no other descriptor
        // of ours.
        func handOver(_ fd: FileDescriptor) -> Int32 {
            prepared.passing.append(fd.rawValue)
            return Int32(2 + prepared.passing.count)
        }
        options.taps = zip(taps, vhost).map { tap, vhostFds in
            TapHandles(fds: tap.fds.map(handOver), vhostFds: vhostFds.map(handOver))
        }
        prepared.argv = try QemuPlanner.commandLine(runtime, features: features, options: options)
        done = true
        return prepared
    }

    /// qemu, spawned; its undo waits for the launcher (only then is the pid file there to say
    /// which process to stop), ends qemu and removes its sockets.
    private func spawn(
        _ files: InstanceFiles, _ prepared: Prepared, _ rollback: inout Rollback
    ) throws -> SpawnedCommand {
        let launcher = try BlockingCommand.spawn(prepared.argv, passing: prepared.passing)
        rollback.add("qemu") {
            _ = try? launcher.wait(timeout: .seconds(60))
            if let qemu = QemuProcess.find(pidFile: files.pidFile) { _ = qemu.terminate(grace: .seconds(2)) }
            // A qemu that failed after it made its sockets (a migration port taken) leaves them.
            for path in files.sockets + [files.pidFile] { unlink(path) }
        }
        return launcher
    }

    /// Each NIC's `up` (on a migration target, as its mode's `pre` phase says), its `down`
    /// registered as its undo. The calls go to the hooks all at once, in order (one exchange with
    /// a worker, not one a NIC); after a failure that is not fatal (a migration target's `pre`)
    /// the NICs after it go again.
    private func upHooks(
        _ files: InstanceFiles, _ runtime: QemuRuntime, taps: [Tap], tags: [String], incoming: Bool,
        _ rollback: inout Rollback, step: inout String
    ) throws {
        var calls: [(call: NICHookCall, fatal: Bool)] = []
        for (index, nic) in runtime.nics.enumerated() {
            let pre = incoming ? IncomingMigration.pre(mode: nic.mode) : (run: true, phase: nil, fatal: true)
            guard pre.run else { continue }
            var call = NICHookCall(
                action: .up, instance: files.name, tags: tags, nic: nic, index: index, interface: taps[index].name)
            call.phase = pre.phase
            calls.append((call, pre.fatal))
        }
        var next = 0
        while next < calls.count {
            let batch = calls[next...]
            let outcomes = nicHooks(batch.map(\.call))
            for (outcome, (call, fatal)) in zip(outcomes, batch) {
                step = "NIC \(call.index) up hook"
                if case .failure(let error) = outcome {
                    guard !fatal else { throw error }
                    logger.warning(
                        "NIC \(call.index) pre-migration up failed (not fatal): \(error)",
                        metadata: ["instance": "\(files.name)"])
                }
                rollback.add("NIC \(call.index) down hook") { [self] in
                    var down = call
                    down.action = .down
                    try nicHook(down)
                }
            }
            next += outcomes.count
        }
    }

    /// QMP: the display passwords set, a migration target's capabilities, then `cont` unless
    /// the instance stays paused.
    private func resume(
        _ files: InstanceFiles, _ passwords: [(display: String, password: String)], paused: Bool,
        capabilities: [String], step: inout String
    ) throws {
        step = "connecting QMP"
        let qmp = try QMPConnection.connect(path: files.qmpSocket, timeout: .seconds(10))
        defer { qmp.close() }
        for (display, password) in passwords {
            step = "setting the \(display == "vnc" ? "VNC" : "SPICE") password"
            _ = try qmp.execute(
                "set_password", arguments: ["protocol": .string(display), "password": .string(password)])
        }
        if !capabilities.isEmpty {
            step = "setting the migration capabilities"
            _ = try qmp.execute("migrate-set-capabilities", arguments: Self.capabilities(capabilities, on: true))
        }
        if !paused {
            step = "resuming the CPUs"
            _ = try qmp.execute("cont")
        }
    }
}

import Foundation
import Hooks
import HostNet
import QEMU
import QMP
import SystemPackage

/// NICs added to and removed from a running instance. Each verb holds the instance lock, and
/// saves the runtime (atomically) as its last step, so that a reboot or a migration carries the
/// change; a failure undoes the steps before it with the one rollback.
extension InstanceManager {
    /// How long a hot-plug operation waits for qemu in all (connect and every command).
    static let hotplugBound = Duration.seconds(30)

    /// Adds `nic` to the running instance `name` as its last NIC: a tap is opened, the NIC's
    /// `up` hook runs on it, then qemu gets the tap (`getfd`), the netdev (`netdev_add`) and the
    /// device on a free PCI slot (`device_add`). A NIC without a uuid is given one.
    /// - Returns: the NIC's index, the NIC as placed (its `hvinfo`), and its tap's name.
    public func addNIC(
        _ name: String, _ nic: NICSpec
    ) throws(InstanceError) -> (index: Int, nic: NICSpec, interface: String) {
        var nic = nic
        if nic.uuid.isEmpty { nic.uuid = UUID().uuidString.lowercased() }
        let added = try hotAdd(name, "nic-add") { files, runtime, monitor, taken, deadline, rollback, step in
            let operation = "nic-add"
            let index = runtime.nics.count
            try clearAbandonedNICs(files, from: index, operation)
            let placed = try runtime.addNIC(nic, takenSlots: taken)
            step = "opening the tap of NIC \(index)"
            let tap = try Tap.create(vnetHeader: true, queues: runtime.queues(placed))
            defer { tap.close() }
            try write(Array((tap.name + "\n").utf8), to: files.nicFile(index), &rollback)
            try FaultPoint.reach("\(operation).tap", files)

            step = "NIC \(index) up hook"
            let call = NICHookCall(
                action: .up, instance: name, tags: savedTags(files), nic: placed, index: index, interface: tap.name)
            try nicHook(call)
            rollback.add("NIC \(index) down hook") { [self] in
                var down = call
                down.action = .down
                try nicHook(down)
            }
            try FaultPoint.reach("\(operation).up", files)

            step = "passing the tap to qemu"
            let vhost = try vhostDescriptors(runtime, placed, queues: tap.fds.count)
            defer { for fd in vhost { try? fd.close() } }
            let names = QemuRuntime.fdNames(placed, queues: tap.fds.count, vhost: !vhost.isEmpty)
            for (fd, fdName) in zip(tap.fds + vhost, names.taps + names.vhost) {
                _ = try monitor.execute(
                    "getfd", arguments: ["fdname": .string(fdName)], passing: fd.rawValue, deadline: deadline)
                // Once netdev_add took it the name is gone, and closefd's refusal says so.
                rollback.add("qemu fd \(fdName)") {
                    _ = try? monitor.execute("closefd", arguments: ["fdname": .string(fdName)], deadline: deadline)
                }
            }
            let arguments = try runtime.hotplugArguments(
                placed, queues: tap.fds.count, vhost: !vhost.isEmpty, chrooted: runtime.hvparams.bool("use_chroot"))
            step = "adding the netdev"
            try Self.plug(
                monitor, operation, files, backend: ("netdev_add", arguments.netdev), remove: ("netdev_del", "id"),
                device: arguments.device, deadline: deadline, &rollback, step: &step)
            logger.info(
                "NIC added",
                metadata: [
                    "instance": "\(name)", "nic": "\(index)", "tap": "\(tap.name)",
                    "device": "\(placed.hvinfo?.id ?? "")",
                ])
            return (index, placed, tap.name)
        }
        lifecycleAfterHotplug(.nicAdded, name, nic: added.0)
        return added
    }

    /// The lifecycle hook's `nic_added` or `nic_removed`, once the operation stands.
    private func lifecycleAfterHotplug(_ event: LifecycleEvent, _ name: String, nic index: Int) {
        let files = InstanceFiles(state: state, name: name)
        var call = lifecycleCall(event, files, spec: nil, runtime: try? savedRuntime(files, event.rawValue))
        call.nic = index
        reportingLifecycle(call)
    }

    /// Removes NIC `index` from the running instance `name`: `device_del`, then qemu's
    /// DEVICE_DELETED once the guest let it go (within `timeout`), `netdev_del` (qemu closes the
    /// tap, which goes with it), the NIC's `down` hook, its files; the NICs after it move up one.
    /// A guest that does not let it go in time keeps it, and the runtime is unchanged: run it
    /// again. Where the `down` hook fails, the NIC is out of qemu but stays in the runtime (its
    /// journal is kept): fix the hook and run it again.
    /// - Returns: the NIC removed.
    public func removeNIC(_ name: String, index: Int, timeout: Duration) throws(InstanceError) -> NICSpec {
        let removed = try hotRemove(
            name, "nic-remove", "NIC \(index)", timeout: timeout,
            take: { runtime throws(SpecError) in
                let count = runtime.nics.count
                return (try runtime.removeNIC(at: index), count)
            },
            id: { $0.0.hvinfo?.id }, backend: ("netdev_del", "id"),
            finish: { files, removed throws(InstanceError) in
                let (nic, count) = removed
                do {
                    try nicHook(
                        NICHookCall(
                            action: .down, instance: name, tags: savedTags(files), nic: nic, index: index,
                            interface: tapName(files, index) ?? ""))
                } catch {
                    throw InstanceError(name, "nic-remove", step: "NIC \(index) down hook", caused: error, else: .hook)
                }
                try FaultPoint.reach("nic-remove.down", files)
                try? FileManager.default.removeItem(atPath: files.nicFile(index))
                // The NICs after it move up one, their tap files and journals with them, so that
                // a NIC's files keep the index of its place in the runtime.
                for later in (index + 1)..<max(index + 1, count) {
                    for (from, to) in [
                        (files.journal(later), files.journal(later - 1)),
                        (files.nicFile(later), files.nicFile(later - 1)),
                    ] where FileManager.default.fileExists(atPath: from) {
                        do {
                            try FileManager.default.moveItem(atPath: from, toPath: to)
                        } catch {
                            throw InstanceError(name, "nic-remove", step: "moving \(from)", caused: error, else: .state)
                        }
                    }
                }
            }
        ).0
        lifecycleAfterHotplug(.nicRemoved, name, nic: index)
        return removed
    }

    // MARK: - The skeletons

    /// A hot-add: the instance lock, its runtime (the instance running), QMP and the PCI slots
    /// qemu has taken, then `body`'s own steps (which place the device in the runtime and
    /// register their undo), then the runtime saved; a failure anywhere runs the rollback. A
    /// `SpecError` from `body` (the device does not fit) is the operation's `invalid-spec`.
    func hotAdd<Added>(
        _ name: String, _ operation: String,
        _ body: (
            _ files: InstanceFiles, _ runtime: inout QemuRuntime, _ monitor: QMPConnection, _ taken: Set<Int>,
            _ deadline: Deadline, _ rollback: inout Rollback, _ step: inout String
        ) throws -> Added
    ) throws(InstanceError) -> Added {
        let files = try self.files(name, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        var runtime = try running(files, operation)
        let saved = FileManager.default.contents(atPath: files.runtime)
        var rollback = Rollback()
        var step = "connecting QMP"
        var qmp: QMPConnection?
        // After the rollback: its steps talk to qemu on this connection.
        defer { qmp?.close() }
        do {
            let deadline = Deadline(after: Self.hotplugBound)
            let monitor = try QMPConnection.connect(path: files.qmpSocket, deadline: deadline)
            qmp = monitor
            step = "finding a free slot"
            let taken = try Self.pciSlots(monitor, deadline)
            let added = try body(files, &runtime, monitor, taken, deadline, &rollback, &step)
            step = "saving the runtime"
            try saveRuntime(runtime, files, &rollback, restoring: saved)
            try FaultPoint.reach("\(operation).saved", files)
            return added
        } catch {
            var failure: InstanceError
            switch error {
            case let error as InstanceError: failure = error
            case let error as SpecError:
                failure = InstanceError(.invalidSpec, name, operation, step: step, error.description)
            default: failure = InstanceError(name, operation, step: step, caused: error, else: .node)
            }
            failure.undoFailures = rollback.run()
            throw failure
        }
    }

    /// A device's backend (`netdev_add`, `blockdev-add`) and then the device on it
    /// (`device_add`), each with its undo, each followed by its fault point.
    static func plug(
        _ monitor: QMPConnection, _ operation: String, _ files: InstanceFiles,
        backend: (command: String, arguments: [String: JSONValue]), remove: (command: String, key: String),
        device: [String: JSONValue], deadline: Deadline, _ rollback: inout Rollback, step: inout String
    ) throws {
        let id = device["id"]?.stringValue ?? ""
        _ = try monitor.execute(backend.command, arguments: backend.arguments, deadline: deadline)
        rollback.add("\(backend.command) \(id)") {
            _ = try monitor.execute(
                remove.command, arguments: [remove.key: .string(id)], deadline: Deadline(after: .seconds(10)))
        }
        try FaultPoint.reach("\(operation).backend", files)
        step = "adding the device"
        _ = try monitor.execute("device_add", arguments: device, deadline: deadline)
        rollback.add("device \(id)") { try unplug(monitor, id, deadline: Deadline(after: hotplugBound)) }
        try FaultPoint.reach("\(operation).device", files)
    }

    /// A hot-remove: the instance lock, its runtime (the instance running), the device taken
    /// out of it (`take`, refused where there is none), then `device_del` and the guest's
    /// release (within `timeout`), the backend removed (`backend`: the command and its key; one
    /// already gone is no error), `finish`'s own steps, and the runtime saved. Until the runtime
    /// is saved it lists the device, so a removal cut short is finished by the next one.
    func hotRemove<Removed>(
        _ name: String, _ operation: String, _ what: String, timeout: Duration,
        take: (inout QemuRuntime) throws(SpecError) -> Removed, id: (Removed) -> String?,
        backend: (command: String, key: String), finish: (InstanceFiles, Removed) throws(InstanceError) -> Void
    ) throws(InstanceError) -> Removed {
        let files = try self.files(name, operation)
        let lock = try locked(files, operation)
        defer { withExtendedLifetime(lock) {} }
        var runtime = try running(files, operation)
        let removed: Removed
        do {
            removed = try take(&runtime)
        } catch {
            throw InstanceError(.invalidSpec, name, operation, step: "finding \(what)", error.description)
        }
        guard let id = id(removed) else {
            throw InstanceError(.state, name, operation, step: "finding \(what)", "\(what) has no device id")
        }
        var step = "connecting QMP"
        do {
            let qmp = try QMPConnection.connect(path: files.qmpSocket, timeout: .seconds(10))
            defer { qmp.close() }
            step = "removing \(what) (\(id)) from the guest"
            try Self.unplug(qmp, id, deadline: Deadline(after: timeout))
            try FaultPoint.reach("\(operation).unplugged", files)
            step = "removing its backend (\(backend.command))"
            try Self.ignoringAbsence { () throws(QMPError) in
                _ = try qmp.execute(backend.command, arguments: [backend.key: .string(id)])
            }
            try FaultPoint.reach("\(operation).backend", files)
        } catch {
            throw error as? InstanceError ?? InstanceError(name, operation, step: step, caused: error, else: .qemu)
        }
        try finish(files, removed)
        do {
            var none = Rollback()
            try saveRuntime(runtime, files, &none, restoring: nil)
        } catch {
            throw InstanceError(name, operation, step: "saving the runtime", caused: error, else: .state)
        }
        logger.info("\(what) removed", metadata: ["instance": "\(name)", "device": "\(id)"])
        return removed
    }

    // MARK: - Steps

    /// The runtime of an instance whose qemu runs, with no start or migration under way.
    func running(_ files: InstanceFiles, _ operation: String) throws(InstanceError) -> QemuRuntime {
        guard exists(files) else {
            throw InstanceError(.notFound, files.name, operation, step: "finding it", "no such instance")
        }
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.conflict, files.name, operation, step: "finding qemu", "qemu does not run")
        }
        for (marker, what) in [(files.starting, "a start"), (files.incoming, "an incoming migration")]
        where FileManager.default.fileExists(atPath: marker) {
            throw InstanceError(
                .conflict, files.name, operation, step: "finding qemu", "\(what) of it is not finished (\(marker))")
        }
        return try savedRuntime(files, operation)
    }

    /// The saved runtime, read.
    func savedRuntime(_ files: InstanceFiles, _ operation: String) throws(InstanceError) -> QemuRuntime {
        guard let data = FileManager.default.contents(atPath: files.runtime) else {
            throw InstanceError(
                .state, files.name, operation, step: "reading the runtime", "no runtime at \(files.runtime)")
        }
        do {
            return try QemuRuntime.load(data, name: files.runtime).runtime
        } catch {
            throw InstanceError(.state, files.name, operation, step: "reading the runtime", error.description)
        }
    }

    /// Saves `runtime` atomically; its undo puts back the bytes `saved`.
    func saveRuntime(
        _ runtime: QemuRuntime, _ files: InstanceFiles, _ rollback: inout Rollback, restoring saved: Data?
    ) throws {
        try runtime.serialized().write(to: URL(fileURLWithPath: files.runtime), options: .atomic)
        if let saved {
            rollback.add("runtime \(files.runtime)") {
                try saved.write(to: URL(fileURLWithPath: files.runtime), options: .atomic)
            }
        }
    }

    /// What an add cut short (killed between its tap and its saved runtime) left past the
    /// runtime's NICs: its journal undone, its tap file removed, before a new NIC takes the index.
    private func clearAbandonedNICs(_ files: InstanceFiles, from first: Int, _ operation: String) throws(InstanceError)
    {
        let entries = [files.nicFolder, files.journalFolder].flatMap {
            (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? []
        }
        for index in Set(entries.compactMap { Int($0) }).filter({ $0 >= first }).sorted() {
            do {
                try hookCalls.undoJournal(instance: files.name, index: index)
            } catch {
                throw InstanceError(
                    files.name, operation, step: "undoing what NIC \(index) left", caused: error, else: .hook)
            }
            try? FileManager.default.removeItem(atPath: files.nicFile(index))
        }
    }

    /// One `/dev/vhost-net` fd per queue of a virtio NIC where `vhost_net` is on.
    private func vhostDescriptors(_ runtime: QemuRuntime, _ nic: NICSpec, queues: Int) throws -> [FileDescriptor] {
        guard runtime.hvparams.bool("vhost_net"), nic.hvinfo?.driver.hasPrefix("virtio-net") ?? false else {
            return []
        }
        var fds: [FileDescriptor] = []
        do {
            for _ in 0..<queues {
                fds.append(try FileDescriptor.open("/dev/vhost-net", .readWrite, options: [.closeOnExec]))
            }
        } catch {
            for fd in fds { try? fd.close() }
            throw NodeError(.file, "vhost_net is on, but /dev/vhost-net does not open: \(error)")
        }
        return fds
    }

    /// The PCI slots qemu reports taken on bus 0 (`query-pci`).
    static func pciSlots(_ qmp: QMPConnection, _ deadline: Deadline) throws(QMPError) -> Set<Int> {
        let buses = try qmp.execute("query-pci", deadline: deadline).arrayValue ?? []
        let bus0 = buses.filter { $0["bus"]?.intValue == 0 }
        return Set(bus0.flatMap { $0["devices"]?.arrayValue ?? [] }.compactMap { $0["slot"]?.intValue.map(Int.init) })
    }

    /// `device_del`, then the guest's answer: DEVICE_DELETED for `id` (done), or its
    /// DEVICE_UNPLUG_GUEST_ERROR (refused); a device qemu does not have is gone already.
    static func unplug(_ qmp: QMPConnection, _ id: String, deadline: Deadline) throws(QMPError) {
        do {
            _ = try qmp.execute("device_del", arguments: ["id": .string(id)], deadline: deadline)
        } catch {
            guard error.errorClass == "DeviceNotFound" else { throw error }
            return
        }
        while true {
            let event: QMPEvent
            do {
                event = try qmp.nextEvent(timeout: deadline.remaining)
            } catch {
                guard error.code == .timeout else { throw error }
                throw QMPError(
                    .timeout,
                    "the guest did not release \(id) within \(deadline.budget.shortText) (its OS may not take "
                        + "PCI hot-unplug, or not yet): it is still there")
            }
            guard event.data["device"]?.stringValue == id else { continue }
            switch event.name {
            case "DEVICE_DELETED": return
            case "DEVICE_UNPLUG_GUEST_ERROR": throw QMPError(.command, "the guest refused to release \(id)")
            default: continue
            }
        }
    }

    /// Runs a qemu command whose refusal because the object is gone already counts as done.
    static func ignoringAbsence(_ body: () throws(QMPError) -> Void) throws(QMPError) {
        do {
            try body()
        } catch {
            // netdev_del: DeviceNotFound; blockdev-del: "Failed to find node with node-name=...".
            guard
                error.errorClass == "DeviceNotFound" || error.message.contains("not found")
                    || error.message.contains("Failed to find node")
            else { throw error }
        }
    }
}

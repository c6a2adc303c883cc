import Foundation
import QEMU
import QMP
import SystemPackage

/// Disks added to and removed from a running instance, as NICs are (``addNIC(_:_:)``): under the
/// instance lock, the runtime saved last, every step before a failure undone.
extension InstanceManager {
    /// Adds `disk` to the running instance `name` as its last disk: the node opens its file (as
    /// root, so that a qemu that runs as a user or in a chroot can use it) and hands qemu the fd
    /// (`add-fd`), then `blockdev-add` and `device_add` on a free PCI slot (or SCSI id).
    /// - Returns: the disk's index and the disk as placed (its `hvinfo`).
    public func addDisk(_ name: String, _ disk: DiskSpec) async throws(InstanceError) -> (index: Int, disk: DiskSpec) {
        let operation = "disk-add"
        // qemu's features (cached per binary) before the lock: the add itself does not wait.
        let kvm = try savedRuntime(try files(name, operation), operation).hvparams.string("kvm_path")
        let features = try await probe(kvm, name, operation)
        return try hotAdd(name, operation) { files, runtime, monitor, taken, deadline, rollback, step in
            let index = runtime.disks.count
            let placed = try runtime.addDisk(disk, takenSlots: taken)
            let id = placed.hvinfo?.id ?? ""
            var filename: String?
            if placed.uri == nil {
                step = "opening \(placed.path)"
                var options: FileDescriptor.OpenOptions = [.closeOnExec]
                // qemu 9 and newer match O_DIRECT too when they take an fd from a set.
                if runtime.disksBypassTheCache && features.version >= QemuVersion(9, 0, 0) {
                    // O_DIRECT, which Glibc's module leaves out (it is _GNU_SOURCE's): 040000 on x86-64.
                    options.insert(FileDescriptor.OpenOptions(rawValue: 0o40000))
                }
                let fd: FileDescriptor
                do {
                    fd = try FileDescriptor.open(
                        placed.path, placed.mode == "ro" ? .readOnly : .readWrite, options: options)
                } catch {
                    throw SpecError("disk.path", "\(placed.path): \(error)")
                }
                defer { try? fd.close() }
                step = "passing \(placed.path) to qemu"
                let added = try monitor.execute(
                    "add-fd", arguments: ["opaque": .string(id)], passing: fd.rawValue, deadline: deadline)
                guard let set = added["fdset-id"]?.intValue else {
                    throw InstanceError(.qemu, name, operation, step: step, "add-fd answered no fdset-id: \(added)")
                }
                // qemu keeps its own duplicate while the disk uses it: the set need not stay
                // once the block device has it, and goes with a failure before.
                rollback.add("qemu fd set \(set)") {
                    _ = try? monitor.execute("remove-fd", arguments: ["fdset-id": .int(set)], deadline: deadline)
                }
                filename = "/dev/fdset/\(set)"
            }
            try FaultPoint.reach("\(operation).fd", files)
            let arguments = try runtime.hotplugArguments(disk: index, features: features, filename: filename)
            step = "adding the block device"
            try Self.plug(
                monitor, operation, files, backend: ("blockdev-add", arguments.blockdev),
                remove: ("blockdev-del", "node-name"), device: arguments.device, deadline: deadline, &rollback,
                step: &step)
            logger.info("disk added", metadata: ["instance": "\(name)", "disk": "\(index)", "device": "\(id)"])
            return (index, placed)
        }
    }

    /// Removes disk `index` from the running instance `name`: `device_del`, qemu's
    /// DEVICE_DELETED once the guest let it go (within `timeout`), then `blockdev-del`; the disks
    /// after it move up one. A guest that does not let it go in time keeps it, and the runtime is
    /// unchanged.
    /// - Returns: the disk removed.
    public func removeDisk(_ name: String, index: Int, timeout: Duration) throws(InstanceError) -> DiskSpec {
        try hotRemove(
            name, "disk-remove", "disk \(index)", timeout: timeout,
            take: { runtime throws(SpecError) in try runtime.removeDisk(at: index) }, id: { $0.hvinfo?.id },
            backend: ("blockdev-del", "node-name"), finish: { _, _ in })
    }
}

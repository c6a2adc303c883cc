import QEMU
import QMP

extension InstanceManager {
    /// The long-lived connection to a running instance, on its `.events` socket, for a process
    /// that outlives the operation (the node daemon): qemu's events reach `handler` as they come
    /// (RESUME, STOP, SHUTDOWN with its reason, ...) and commands share the connection, without
    /// the instance lock, which the short operations on the `.qmp` socket keep using.
    public func monitor(
        _ name: String, handler: @escaping @Sendable (QMPSession.Update) -> Void
    ) throws(InstanceError) -> QMPSession {
        let files = try self.files(name, "monitor")
        guard QemuProcess.find(pidFile: files.pidFile) != nil else {
            throw InstanceError(.notFound, name, "monitor", step: "finding qemu", "the instance is not running")
        }
        do {
            return try QMPSession.open(path: state.eventsSocket(name), timeout: .seconds(10), handler: handler)
        } catch {
            throw InstanceError(name, "monitor", step: "connecting QMP", caused: error, else: .qemu)
        }
    }
}

import HostNet

extension HookWorkerSetup {
    /// Undoes `journal` with no hook call running for it, on the calling thread's network
    /// namespace and the node's confined file folders: its links only, as any undo; then removes
    /// it. For a NIC whose worker was lost mid-call, or whose settings are lost with its
    /// instance's runtime.
    public func undo(_ journal: Journal) -> JournalUndo.Outcome {
        let network: LinuxHost
        do {
            network = try LinuxHost()
        } catch {
            var outcome = JournalUndo.Outcome()
            outcome.failures = ["the journal \(journal.path) was not undone: \(error)"]
            return outcome
        }
        let control = OVSCtl(database: ovsDatabase, waitForSwitch: ovsDatabase == nil)
        return NetworkHookRunner.undo(
            journal, stateDirectory: stateDirectory, network: network, ovs: control.isInstalled ? control : nil,
            files: ConfinedFiles(roots: directories.files))
    }
}

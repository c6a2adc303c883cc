import HostNet

extension HookWorkerSetup {
    /// Undoes `journal` with no hook call running for it, on the calling thread's network
    /// namespace and the node's confined file folders: its links only, as any undo; then removes
    /// it. For a NIC whose worker was lost mid-call, or whose settings are lost with its
    /// instance's runtime.
    public func undo(_ journal: Journal) -> JournalUndo.Outcome {
        onHost(journal) { network, ovs in
            NetworkHookRunner.undo(
                journal, stateDirectory: stateDirectory, network: network, ovs: ovs,
                files: ConfinedFiles(roots: directories.files))
        }
    }

    /// Undoes what `journal` holds past its first `kept` entries, and drops it (the whole
    /// journal where none were kept): a lifecycle call whose worker was lost mid-call, whose
    /// changes go as a failed call's do, while what the calls before it did stays.
    public func undo(_ journal: Journal, keeping kept: Int) -> JournalUndo.Outcome {
        onHost(journal) { network, ovs in
            let own = Array(journal.entries.dropFirst(max(kept, 1)))
            let outcome = JournalUndo.run(
                Array(journal.entries.prefix(1)) + own, network: network, ovs: ovs, commands: HookHost.spawn,
                files: ConfinedFiles(roots: directories.files))
            if kept > 0 {
                try? journal.dropLast(journal.entries.count - kept)
            } else {
                try? journal.remove()
            }
            return outcome
        }
    }

    private func onHost(
        _ journal: Journal, _ body: (LinuxHost, OpenVSwitch?) -> JournalUndo.Outcome
    ) -> JournalUndo.Outcome {
        let network: LinuxHost
        do {
            network = try LinuxHost()
        } catch {
            var outcome = JournalUndo.Outcome()
            outcome.failures = ["the journal \(journal.path) was not undone: \(error)"]
            return outcome
        }
        let control = OVSCtl(database: ovsDatabase, waitForSwitch: ovsDatabase == nil)
        return body(network, control.isInstalled ? control : nil)
    }
}

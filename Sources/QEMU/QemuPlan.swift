/// The outcome of planning: the runtime to save and the disk arguments derived from it.
public struct QemuPlan: Sendable, Hashable {
    /// What is saved and reused by later starts.
    public var runtime: QemuRuntime
    /// `-blockdev`/`-device` pairs for the disks (derived from the runtime on every start).
    public var diskArguments: [String]

    /// The command line as far as planning knows it: generated argv and disks. Execution adds
    /// the NICs (tap fds), run-as, keymap and `-incoming`.
    public var argv: [String] { runtime.argv + diskArguments }
}

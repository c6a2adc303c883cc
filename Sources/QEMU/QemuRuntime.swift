/// What planning produced and what every later start of the same instance reuses (soft reboot,
/// migration target): the generated argv, the NICs and disks with their placement, and the
/// hypervisor parameters the instance was started with. Saved as
/// `[argv, [nic...], hvparams, [[disk, path, uri]...]]`, Ganeti's 2026 layout.
public struct QemuRuntime: Sendable, Hashable {
    /// The generate-phase argv (node-independent apart from the state directory paths).
    public var argv: [String]
    /// The NICs, each with its `hvinfo`.
    public var nics: [NICSpec]
    /// The parameters the instance was started with (Ganeti's `up_hvp`).
    public var hvparams: HVParams
    /// The disks, each with its `hvinfo`, path and URI.
    public var disks: [DiskSpec]

    /// Creates a runtime.
    public init(argv: [String], nics: [NICSpec], hvparams: HVParams, disks: [DiskSpec]) {
        self.argv = argv
        self.nics = nics
        self.hvparams = hvparams
        self.disks = disks
    }
}

/// What a qemu binary supports, as far as it changes the command line, read from the text of
/// `qemu --help` (and `-machine help`, `-device help`). Pure: the caller runs qemu and passes the
/// text in, so planning never runs anything.
public struct QemuFeatures: Sendable, Hashable, Codable {
    /// The version on the first line of `--help`.
    public var version: QemuVersion
    /// `-qmp` (`^-qmp\s`).
    public var qmp: Bool
    /// `-netdev` (`^-netdev\s`).
    public var netdev: Bool
    /// `-netdev tap,...,vhost=on|off`.
    public var vhost: Bool
    /// `-netdev tap,...,fds=x:y:...:z`: multiqueue taps passed as several fds.
    public var multiqueueFds: Bool
    /// `-display` (`^-display\s`); without it, `-nographic`.
    public var display: Bool
    /// `-uuid` (`^-uuid\s`).
    public var uuid: Bool
    /// `-run-with ...chroot=...user=` (qemu >= 9.0); without it, `-runas` and `-chroot`.
    public var runWith: Bool
    /// `-no-acpi` (`^-no-acpi\s`); without it, `acpi=off` in `-machine`.
    public var noACPI: Bool
    /// `-spice` (`^-spice\s`).
    public var spice: Bool
    /// `-soundhw` (`^-soundhw\s`); without it, `-audio driver=...,model=...`.
    public var soundhw: Bool
    /// `-blockdev ...,auto-read-only=on|off`.
    public var autoReadOnly: Bool
    /// Machine types from `-machine help`, by name; empty when not known.
    public var machines: [String]
    /// The machine `-machine help` marks `(default)`, if any.
    public var defaultMachine: String?
    /// Device drivers from `-device help`; `nil` when not known (no check is made then).
    public var devices: Set<String>?

    /// Creates a feature set (tests and fixtures; real ones come from ``QemuFeatures/parse``).
    public init(
        version: QemuVersion, qmp: Bool = true, netdev: Bool = true, vhost: Bool = true, multiqueueFds: Bool = true,
        display: Bool = true, uuid: Bool = true, runWith: Bool = false, noACPI: Bool = true, spice: Bool = true,
        soundhw: Bool = false, autoReadOnly: Bool = true, machines: [String] = [], defaultMachine: String? = nil,
        devices: Set<String>? = nil
    ) {
        self.version = version
        self.qmp = qmp
        self.netdev = netdev
        self.vhost = vhost
        self.multiqueueFds = multiqueueFds
        self.display = display
        self.uuid = uuid
        self.runWith = runWith
        self.noACPI = noACPI
        self.spice = spice
        self.soundhw = soundhw
        self.autoReadOnly = autoReadOnly
        self.machines = machines
        self.defaultMachine = defaultMachine
        self.devices = devices
    }
}

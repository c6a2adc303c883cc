/// The node's state directory (design section 3) as code: the one place that knows where each
/// file of the node and of each instance lives. Everything else asks it.
///
/// ```
/// <state>/conf/<instance>.runtime   the runtime (Ganeti's layout); .spec, the spec it came from;
///                                   .starting while a start (or a reboot's) is under way
/// <state>/pid/<instance>            qemu's pid file (qemu writes and locks it)
/// <state>/ctrl/<instance>.qmp       QMP for short operations; .events the daemon's; .serial, .qga
/// <state>/nic/<instance>/<index>    the tap a NIC has
/// <state>/journal/<instance>/<index> the NIC's hook journal; .../instance, the lifecycle hook's
/// <state>/hook-versions/<sha256>.lua the text of each hook version a NIC came up with
/// <state>/lock/<instance>           the instance lock
/// <state>/uid/<instance>, uid-pool/ the pool uid an instance runs as, and the pool's locks
/// <state>/chroot/<instance>, chroot-quarantine/
/// <state>/cache/                    qemu's probed capabilities, per binary
/// <state>/stopped/<instance>        why an instance the daemon saw end is stopped (until started
///                                   again or cleaned up)
/// <state>/api.sock, serve.lock      the daemon's socket and the lock that makes it the only one
/// ```
public struct StateDirectory: Sendable, Hashable {
    /// The folder (`/var/run/taphouse` by default).
    public var path: String
    /// The SPICE TLS CA certificate.
    public var spiceCACertificate: String
    /// The SPICE TLS certificate and key (one file, as Ganeti's `spice.pem`).
    public var spiceCertificate: String

    public init(
        _ path: String, spiceCACertificate: String = "/etc/taphouse/spice-ca.pem",
        spiceCertificate: String = "/etc/taphouse/spice.pem"
    ) {
        self.path = path
        self.spiceCACertificate = spiceCACertificate
        self.spiceCertificate = spiceCertificate
    }

    // MARK: Node-wide

    /// Runtime and spec files.
    public var conf: String { path + "/conf" }
    public var pidFolder: String { path + "/pid" }
    public var ctrl: String { path + "/ctrl" }
    public var nics: String { path + "/nic" }
    public var journals: String { path + "/journal" }
    /// Kept hook texts, by version.
    public var hookVersions: String { path + "/hook-versions" }
    /// qemu's probed capabilities, one file per binary.
    public var cache: String { path + "/cache" }
    public var uidPool: String { path + "/uid-pool" }
    public var chroots: String { path + "/chroot" }
    public var quarantine: String { path + "/chroot-quarantine" }
    /// Records of instances that ended by themselves (a guest poweroff, a crash).
    public var stoppedFolder: String { path + "/stopped" }
    /// The daemon's API socket, when it listens on the default.
    public var apiSocket: String { path + "/api.sock" }
    /// Held (flock) by the one daemon serving this directory.
    public var serveLock: String { path + "/serve.lock" }

    /// Where the text of hook `version` is kept.
    public func hookVersion(_ version: String) -> String { "\(hookVersions)/\(version).lua" }
    /// Where versions were kept before `hook-versions/`: read, for NICs brought up then.
    public func legacyHookVersion(_ version: String) -> String { "\(journals)/hooks/\(version).lua" }

    // MARK: Per instance

    public func runtime(_ instance: String) -> String { "\(conf)/\(instance).runtime" }
    /// The spec the instance was started from: hooks of a reboot get the same tags.
    public func spec(_ instance: String) -> String { "\(conf)/\(instance).spec" }
    /// There while a start is under way: one that outlives the process doing it (killed, the
    /// node's power gone) marks a start to roll back.
    public func starting(_ instance: String) -> String { "\(conf)/\(instance).starting" }
    public func pidFile(_ instance: String) -> String { "\(pidFolder)/\(instance)" }
    /// There while this node is the target of the instance's migration (from `accept` to
    /// `finalize`): where qemu listens, and whether the guest waits for the `post` phase.
    public func incoming(_ instance: String) -> String { "\(conf)/\(instance).incoming" }
    /// The QMP socket for short operations under the instance lock.
    public func qmpSocket(_ instance: String) -> String { "\(ctrl)/\(instance).qmp" }
    /// The QMP socket the daemon holds open for events.
    public func eventsSocket(_ instance: String) -> String { "\(ctrl)/\(instance).events" }
    public func serialSocket(_ instance: String) -> String { "\(ctrl)/\(instance).serial" }
    public func guestAgentSocket(_ instance: String) -> String { "\(ctrl)/\(instance).qga" }
    public func chrootDirectory(_ instance: String) -> String { "\(chroots)/\(instance)" }
    public func nicFolder(_ instance: String) -> String { "\(nics)/\(instance)" }
    /// The tap NIC `index` has.
    public func nicFile(_ instance: String, _ index: Int) -> String { "\(nicFolder(instance))/\(index)" }
    public func journalFolder(_ instance: String) -> String { "\(journals)/\(instance)" }
    public func journal(_ instance: String, nic index: Int) -> String { "\(journalFolder(instance))/\(index)" }
    /// The journal of what the instance's lifecycle hook changed (no NIC index: no NIC's).
    public func lifecycleJournal(_ instance: String) -> String { "\(journalFolder(instance))/instance" }
    public func lock(_ instance: String) -> String { "\(lockFolder)/\(instance)" }
    /// The instances' lock files, each there only while an operation holds it.
    public var lockFolder: String { "\(path)/lock" }
    /// The uid a pool instance runs as.
    public func uid(_ instance: String) -> String { "\(path)/uid/\(instance)" }
    /// Why the instance is stopped, when it ended by itself: its reason, kept until it is
    /// started again or cleaned up (Ganeti's user-down flag, which an orchestrator reads).
    public func stopped(_ instance: String) -> String { "\(stoppedFolder)/\(instance)" }
    /// Every socket qemu may make for the instance.
    public func sockets(_ instance: String) -> [String] {
        [qmpSocket(instance), eventsSocket(instance), serialSocket(instance), guestAgentSocket(instance)]
    }
}

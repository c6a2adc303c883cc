import QEMU

/// Where an instance's state lives under the state directory (design section 3).
struct InstanceFiles {
    let paths: NodePaths
    let name: String

    var root: String { paths.stateDirectory }
    var pidFile: String { paths.pidFile(name) }
    var runtime: String { "\(root)/conf/\(name).runtime" }
    /// The spec the instance was started from: hooks of a reboot get the same tags.
    var spec: String { "\(root)/conf/\(name).spec" }
    var nicFolder: String { "\(root)/nic/\(name)" }
    func nicFile(_ index: Int) -> String { "\(nicFolder)/\(index)" }
    var lock: String { "\(root)/lock/\(name)" }
    var chroot: String { paths.chrootDirectory(name) }
    /// The uid a pool instance runs as.
    var uid: String { "\(root)/uid/\(name)" }
    var uidPool: String { "\(root)/uid-pool" }
    var quarantine: String { "\(root)/chroot-quarantine" }
    var sockets: [String] {
        [paths.qmpSocket(name), paths.eventsSocket(name), paths.serialSocket(name), paths.guestAgentSocket(name)]
    }
}

import QEMU

/// One instance's files: ``StateDirectory``'s layout bound to a name, for the steps of an
/// operation that pass it along.
struct InstanceFiles {
    let state: StateDirectory
    let name: String

    var pidFile: String { state.pidFile(name) }
    var runtime: String { state.runtime(name) }
    var spec: String { state.spec(name) }
    var starting: String { state.starting(name) }
    var incoming: String { state.incoming(name) }
    var nicFolder: String { state.nicFolder(name) }
    func nicFile(_ index: Int) -> String { state.nicFile(name, index) }
    var journalFolder: String { state.journalFolder(name) }
    func journal(_ index: Int) -> String { state.journal(name, nic: index) }
    var lock: String { state.lock(name) }
    var chroot: String { state.chrootDirectory(name) }
    var uid: String { state.uid(name) }
    var uidPool: String { state.uidPool }
    var quarantine: String { state.quarantine }
    var sockets: [String] { state.sockets(name) }
    var qmpSocket: String { state.qmpSocket(name) }
    var eventsSocket: String { state.eventsSocket(name) }
    var stopped: String { state.stopped(name) }
}

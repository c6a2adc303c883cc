import Foundation
import Hooks
import HostNet
import TestSupport
import Testing

/// The CLI's verbs against a qemu that misbehaves on its QMP socket, and against damaged state
/// files. The qemu is `qmp-standin`: a process that takes the instance's pid file as qemu does
/// (written and locked, named after `-pidfile` in its argv) and serves the instance's `.qmp`
/// socket the way a broken or hostile qemu might.
@Suite("A qemu that misbehaves, and damaged state files")
struct MisbehavingQemuTests {
    /// A state directory with one instance, `web1`, whose runtime is Ganeti's fixture.
    final class Node {
        let folder = TemporaryFolder()
        let site: String
        var state: String { folder.path + "/state" }
        var pidFile: String { state + "/pid/web1" }
        /// The stand-in, once started.
        private(set) var standIn: pid_t?

        /// - Parameter runtime: what to make of the fixture's text (cut it short, say).
        init(runtime: (String) -> String = { $0 }) throws {
            site = folder.path + "/site"
            try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
            for sub in ["conf", "pid", "ctrl"] {
                try FileManager.default.createDirectory(atPath: state + "/" + sub, withIntermediateDirectories: true)
            }
            let fixture = try String(
                contentsOfFile: Repository.path + "/Tests/QEMUTests/Fixtures/ganeti-kvm_runtime.json", encoding: .utf8)
            try runtime(fixture).write(toFile: state + "/conf/web1.runtime", atomically: true, encoding: .utf8)
        }

        deinit {
            if let standIn {
                kill(standIn, SIGKILL)
                waitpid(standIn, nil, 0)
            }
        }

        /// Starts the stand-in with `behaviour` and waits until it listens.
        func start(_ behaviour: String, pidText: String? = nil, ignoreSIGTERM: Bool = false) throws {
            let binary = (TaphouseBinary.path as NSString).deletingLastPathComponent + "/qmp-standin"
            var argv = [binary, "-pidfile", pidFile, state + "/ctrl/web1.qmp", behaviour]
            if let pidText { argv += ["--pid-text", pidText] }
            if ignoreSIGTERM { argv.append("--ignore-sigterm") }
            standIn = try ProcessSpawn.spawn(argv, ProcessSpawn.Options())
            let deadline = ContinuousClock.now + .seconds(30)
            while !FileManager.default.fileExists(atPath: state + "/ctrl/web1.qmp") {
                try #require(ContinuousClock.now < deadline, "qmp-standin never listened")
                usleep(10_000)
            }
        }

        /// Whether the stand-in still runs (a zombie, ended but not yet reaped by us, does not).
        var standInRuns: Bool { standIn.map(DaemonTests.runs) ?? false }

        /// Runs taphouse on this state directory; prints how long it took, a figure, not a check.
        func taphouse(_ arguments: [String]) throws -> (result: TaphouseBinary.Result, took: Duration) {
            let clock = ContinuousClock()
            let start = clock.now
            let result = try TaphouseBinary.run(arguments + ["--state-dir", state, "--hooks-dir", site])
            let took = clock.now - start
            print("taphouse \(arguments.joined(separator: " ")): \(took)")
            return (result, took)
        }
    }

    /// The longest a verb may take before it counts as hung: a bound for a hang, well past the
    /// verbs' own bounds (4.5 s for info), not a speed figure.
    static let hung: Duration = .seconds(30)

    static let misbehaviours = [
        "silent", "endless-line", "garbage", "deep", "huge", "flood", "wrong-id", "not-qmp", "hang-up",
    ]

    @Test(arguments: misbehaviours)
    func infoAnswersAndSaysWhatQemuDidNotAnswer(_ behaviour: String) throws {
        let node = try Node()
        try node.start(behaviour)
        let (info, took) = try node.taphouse(["instance", "info", "web1"])
        #expect(info.status == 0, "\(info.error)")
        #expect(took < Self.hung)
        #expect(info.output.contains("state\trunning"), "\(info.output)")
        #expect(info.output.contains("problem\tqemu did not answer: "), "\(info.output)")
        if ["silent", "flood", "endless-line"].contains(behaviour) {
            #expect(info.output.contains("query-status: no answer within"), "\(info.output)")
        }
        if behaviour == "flood" { #expect(info.output.contains("events dropped meanwhile"), "\(info.output)") }
        // list asks the same qemu, and answers too.
        let (list, _) = try node.taphouse(["instance", "list"])
        #expect(list.output.hasPrefix("web1\trunning\t"), "\(list.output)")
    }

    @Test func aPoliteQemuHasNoProblem() throws {
        let node = try Node()
        try node.start("polite")
        let (info, _) = try node.taphouse(["instance", "info", "web1"])
        #expect(info.output.contains("state\trunning"))
        #expect(info.output.contains("memory\t512 MiB"))
        #expect(info.output.contains("vcpus\t2"))
        #expect(!info.output.contains("problem"), "\(info.output)")
    }

    /// `stop --timeout 2`: the powerdown wait, QMP included, is bounded by the timeout; SIGTERM,
    /// and SIGKILL where SIGTERM is ignored, follow whatever the socket does.
    @Test(arguments: [
        ("silent", false), ("flood", true), ("endless-line", false), ("hang-up", false), ("not-qmp", true),
        ("polite", false),
    ])
    func stopEndsTheQemuWhateverItsSocketDoes(_ behaviour: String, ignoresSIGTERM: Bool) throws {
        let node = try Node()
        try node.start(behaviour, ignoreSIGTERM: ignoresSIGTERM)
        let (stop, took) = try node.taphouse(["instance", "stop", "web1", "--timeout", "2"])
        #expect(stop.status == 0, "\(stop.error)")
        #expect(took < Self.hung)
        #expect(!node.standInRuns)
        #expect(!FileManager.default.fileExists(atPath: node.state + "/conf/web1.runtime"))
        #expect(try node.taphouse(["instance", "list"]).result.output == "")
    }

    /// qemu locks its pid file: a file whose text is garbage still leads to the qemu that holds
    /// it, so the instance is not reported stopped while its qemu runs.
    @Test func aPidFileOfGarbageDoesNotHideTheQemu() throws {
        let node = try Node()
        try node.start("polite", pidText: "\u{1}garbage")
        let pid = try #require(node.standIn)
        #expect(try node.taphouse(["instance", "list"]).result.output == "web1\trunning\t\(pid)\n")
        #expect(try node.taphouse(["instance", "info", "web1"]).result.output.contains("pid\t\(pid)"))
        let (stop, _) = try node.taphouse(["instance", "stop", "web1", "--force"])
        #expect(stop.status == 0, "\(stop.error)")
        #expect(!node.standInRuns)
    }

    /// A runtime cut short: the instance is listed in state `error` with the file and the
    /// reason, `info` says what is wrong, and `stop` still ends its qemu and removes its files.
    @Test func aTruncatedRuntimeIsListedAsAnErrorAndStopStillWorks() throws {
        let node = try Node { String($0.prefix($0.count / 2)) }
        try node.start("polite")
        let pid = try #require(node.standIn)
        let list = try node.taphouse(["instance", "list"]).result.output
        #expect(list.hasPrefix("web1\terror\t\(pid)\t\(node.state)/conf/web1.runtime"), "\(list)")
        let info = try node.taphouse(["instance", "info", "web1"]).result
        #expect(info.status == 0, "\(info.error)")
        #expect(info.output.contains("state\terror"))
        #expect(info.output.contains("problem\t\(node.state)/conf/web1.runtime"), "\(info.output)")
        let (stop, _) = try node.taphouse(["instance", "stop", "web1", "--timeout", "2"])
        #expect(stop.status == 0, "\(stop.error)")
        #expect(!node.standInRuns)
        #expect(try node.taphouse(["instance", "list"]).result.output == "")
    }
}

/// What a dead instance left, damaged: its NICs' journals are still undone and nothing is left.
@Suite(
    "Damaged NIC files and journals",
    .enabled(if: NetworkNamespace.isAvailable, "needs network namespaces: \(NetworkNamespace.unavailableReason ?? "")"))
struct DamagedNICStateTests {
    /// A NIC file of garbage and a journal torn mid-line (a crash while writing it): cleanup runs
    /// the journal's undo (here an `exec` undo that leaves a mark) and leaves no folder behind,
    /// whether the runtime reads (the hook's down runs) or not (the journal alone is undone).
    @Test(arguments: [false, true])
    func cleanupUndoesATornJournalBesideAGarbageNICFile(runtimeCutShort: Bool) throws {
        let node = try MisbehavingQemuTests.Node { runtimeCutShort ? String($0.prefix(100)) : $0 }
        let ns = try NetworkNamespace()
        let mark = node.folder.path + "/undone"
        let journalPath = Journal.path(stateDirectory: node.state, instance: "web1", nicIndex: 0)
        let journal = try Journal.create(
            path: journalPath,
            first: .begin(
                hook: Repository.path + "/hooks/network/bridged.lua", version: "0", interface: "tap0", namespace: nil,
                index: nil, phase: nil))
        try journal.append(.exec(argv: ["/bin/true"], undo: ["/usr/bin/touch", mark]))
        let handle = try #require(FileHandle(forWritingAtPath: journalPath))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"linkUp":{"link":"ta"#.utf8))
        try handle.close()
        node.folder.write("state/nic/web1/0", "\u{1}garbage/../tap9 \n")

        let result = try TaphouseBinary.run(
            [
                "netns", "exec", ns.name, TaphouseBinary.path, "instance", "cleanup", "web1", "--state-dir", node.state,
                "--hooks-dir", node.site,
            ], executable: NetworkNamespace.ipPath)
        #expect(result.status == 0, "\(result.error)")
        #expect(FileManager.default.fileExists(atPath: mark), "the journal's undo did not run")
        for left in ["journal/web1", "nic/web1", "conf/web1.runtime"] {
            #expect(!FileManager.default.fileExists(atPath: node.state + "/" + left), "\(left) was left")
        }
    }
}

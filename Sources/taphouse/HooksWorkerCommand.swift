import ArgumentParser
import Hooks
import HostNet
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `taphouse hooks worker`: a hook worker process, started by taphouse itself (never by hand):
/// serves hook calls on fd 3 until the node closes it.
struct HooksWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Serve hook calls for a taphouse process on fd 3 (internal).",
        shouldDisplay: false)

    @Option(name: .customLong("memory-mb"), help: "The worker's data size limit (RLIMIT_DATA), in MiB.")
    var memoryMegabytes: Int = 1024

    func run() throws {
        // The limit the node chose: a hook state's budget is enforced by its allocator; this is
        // for what is not (a leak, a bug), which then costs this worker only.
        // A sanitizer's build (scripts/sanitize.sh) maps terabytes of shadow memory, which
        // RLIMIT_DATA counts: there the limit would fail the sanitizer's first allocation.
        if !Self.underASanitizer {
            var limit = rlimit(rlim_cur: rlim_t(memoryMegabytes) << 20, rlim_max: rlim_t(memoryMegabytes) << 20)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &limit)
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let reason = HookWorkerServer.serve(
            FrameChannel(fd: HookWorkerServer.channelDescriptor), logger: Logger(label: "taphouse.hooks"))
        if reason != HookWorkerServer.closedByNode {
            Standard.error.write("taphouse hooks worker: \(reason)\n")
            throw ExitCode.failure
        }
    }

    /// Whether this binary runs under the thread or the address sanitizer (its runtime is linked
    /// in); never so in a build for a node.
    static var underASanitizer: Bool {
        let process = dlopen(nil, RTLD_NOW)
        defer { if let process { dlclose(process) } }
        return dlsym(process, "__tsan_init") != nil || dlsym(process, "__asan_init") != nil
    }
}

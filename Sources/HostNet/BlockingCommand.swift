import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs a command as an argv, synchronously, with a deadline: for callers that cannot await
/// (a Lua hook's `exec`, `ovs-vsctl` under a hook). posix_spawn, no shell; standard input is
/// /dev/null; output is captured up to a limit; a command still running at the deadline is
/// killed (SIGKILL) and reaped.
public enum BlockingCommand {
    /// - Parameter passing: fds the child gets, as 3, 4, ... in this order (a tap's queues for
    ///   qemu). The child gets exactly these besides stdin (/dev/null), stdout and stderr: every
    ///   other descriptor is closed in it, whether or not it was close-on-exec.
    /// - Parameter directory: the child's working folder (default: ours).
    public static func run(
        _ argv: [String], timeout: Duration, outputLimit: Int = 1 << 20, environment: [String]? = nil,
        passing: [Int32] = [], directory: String? = nil
    ) throws(HostNetError) -> CommandRunner.Output {
        try spawn(argv, environment: environment, passing: passing, directory: directory).wait(
            timeout: timeout, outputLimit: outputLimit)
    }

    /// Starts the command and returns at once; ``SpawnedCommand/wait(timeout:outputLimit:)``
    /// collects its output and status. For a caller with work to do while it runs (the NIC hooks
    /// while qemu starts paused).
    public static func spawn(
        _ argv: [String], environment: [String]? = nil, passing: [Int32] = [], directory: String? = nil
    ) throws(HostNetError) -> SpawnedCommand {
        let command = argv.joined(separator: " ")
        let out = try ProcessSpawn.pipe()
        let err: (read: Int32, write: Int32)
        do {
            err = try ProcessSpawn.pipe()
        } catch {
            close(out.read)
            close(out.write)
            throw error
        }
        defer {
            close(out.write)
            close(err.write)
        }
        do {
            let pid = try ProcessSpawn.spawn(
                argv,
                ProcessSpawn.Options(
                    environment: environment, standardOutput: out.write, standardError: err.write, passing: passing,
                    directory: directory))
            return SpawnedCommand(command: command, pid: pid, standardOutput: out.read, standardError: err.read)
        } catch {
            close(out.read)
            close(err.read)
            throw error
        }
    }
}

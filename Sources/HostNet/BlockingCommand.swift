import CLinux
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs a command as an argv, synchronously, with a deadline: for callers that cannot await
/// (a Lua hook's `exec`, `ovs-vsctl` under a hook). posix_spawn, no shell; the command leads a
/// process group of its own; standard input is the given bytes or /dev/null; output is captured
/// up to a limit; the wait ends at the command's exit (see ``SpawnedCommand``), and a command
/// still running at the deadline is killed (SIGKILL) with its group and reaped.
public enum BlockingCommand {
    /// - Parameter passing: fds the child gets, as 3, 4, ... in this order (a tap's queues for
    ///   qemu). The child gets exactly these besides stdin, stdout and stderr: every other
    ///   descriptor is closed in it, whether or not it was close-on-exec.
    /// - Parameter directory: the child's working folder (default: ours).
    /// - Parameter standardInput: what the command reads on its standard input (nil: /dev/null).
    /// - Parameter detach: whether what the command leaves running in its group may go on
    ///   (reported either way; killed unless this is set).
    public static func run(
        _ argv: [String], timeout: Duration, outputLimit: Int = 1 << 20, environment: [String]? = nil,
        passing: [Int32] = [], directory: String? = nil, standardInput: [UInt8]? = nil, detach: Bool = false
    ) throws(HostNetError) -> CommandRunner.Output {
        try spawn(
            argv, environment: environment, passing: passing, directory: directory, standardInput: standardInput,
            detach: detach
        ).wait(timeout: timeout, outputLimit: outputLimit)
    }

    /// Starts the command and returns at once; ``SpawnedCommand/wait(timeout:outputLimit:)``
    /// collects its output and status. For a caller with work to do while it runs (the NIC hooks
    /// while qemu starts paused).
    public static func spawn(
        _ argv: [String], environment: [String]? = nil, passing: [Int32] = [], directory: String? = nil,
        standardInput: [UInt8]? = nil, detach: Bool = false
    ) throws(HostNetError) -> SpawnedCommand {
        let command = argv.joined(separator: " ")
        var pipes: [(read: Int32, write: Int32)] = []
        func closeAll() {
            for pipe in pipes {
                close(pipe.read)
                close(pipe.write)
            }
        }
        do {
            pipes.append(try ProcessSpawn.pipe())
            pipes.append(try ProcessSpawn.pipe())
            if standardInput != nil { pipes.append(try ProcessSpawn.pipe()) }
        } catch {
            closeAll()
            throw error
        }
        let (out, err) = (pipes[0], pipes[1])
        let input = standardInput != nil ? pipes[2] : nil
        do {
            let pid = try ProcessSpawn.spawn(
                argv,
                ProcessSpawn.Options(
                    environment: environment, standardInput: input?.read, standardOutput: out.write,
                    standardError: err.write, passing: passing, directory: directory, newProcessGroup: true))
            close(out.write)
            close(err.write)
            if let input { close(input.read) }
            return SpawnedCommand(
                command: command, pid: pid, standardOutput: out.read, standardError: err.read,
                standardInput: input?.write, input: standardInput ?? [], detach: detach)
        } catch {
            closeAll()
            throw error
        }
    }
}

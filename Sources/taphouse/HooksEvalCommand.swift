import ArgumentParser
import Hooks
import Logging
import LuaKit

/// `taphouse hooks eval FILE`: runs a file in exactly the sandbox hooks get and prints what it
/// returns as JSON.
struct HooksEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Run a Lua file in the hook sandbox and print its return value as JSON.",
        discussion: """
            One returned value prints as itself, none as null, several as a JSON array of them. \
            print() and taphouse.log output go to standard error. On failure the error \
            (file:line: message) goes to standard error and the exit status is 1.
            """
    )

    @Argument(help: "The Lua file to run.")
    var file: String

    @Option(name: .customLong("timeout-ms"), help: "Time budget of the run, in milliseconds.")
    var timeoutMilliseconds: Int = 2000

    @Option(name: .customLong("memory-mb"), help: "Memory budget of the Lua state, in MiB.")
    var memoryMegabytes: Int = 64

    @Option(name: .customLong("lua-path"), help: "A folder `require` may load modules from (repeatable).")
    var luaPaths: [String] = []

    @Flag(help: "Print the Lua traceback after the error.")
    var traceback = false

    @Flag(help: "Print the JSON on one line.")
    var compact = false

    func validate() throws {
        guard timeoutMilliseconds > 0 else { throw ValidationError("--timeout-ms must be positive") }
        guard memoryMegabytes > 0, memoryMegabytes <= 1 << 20 else {
            throw ValidationError("--memory-mb must be between 1 and \(1 << 20)")
        }
    }

    func run() throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        // The file runs in a hook worker, as hooks do: what the budgets cannot stop costs that
        // process, and the worker is killed a grace period after the time budget.
        // No hooks directories: only the --lua-path folders are searched.
        let directories = HookDirectories(builtin: "/nonexistent", site: nil, library: "/nonexistent")
        let setup = HookWorkerSetup(
            directories: directories, stateDirectory: "/nonexistent",
            limits: LuaLimits(timeout: .milliseconds(timeoutMilliseconds), memoryBytes: memoryMegabytes << 20))
        let hooks = WorkerHooks(pool: HookWorkerPool(.taphouse(size: 1)), setup: setup)
        let result: HookEvaluation.Result
        do {
            result = try hooks.eval(file, moduleRoots: luaPaths)
        } catch {
            Standard.error.write("\(file): \(error)\n")
            throw ExitCode.failure
        }
        for output in result.output {
            switch output {
            case .print(let text): Standard.error.write(text + "\n")
            case .warning(let text): Standard.error.write("warning: " + text + "\n")
            }
        }
        do throws(LuaError) {
            if let error = result.error { throw error }
            let value: LuaValue =
                switch result.values.count {
                case 0: .nil
                case 1: result.values[0]
                default: .array(result.values)
                }
            Standard.output.write(try value.json(pretty: !compact) + "\n")
        } catch {
            Standard.error.write(error.description + "\n")
            if traceback, let trace = error.traceback { Standard.error.write(trace + "\n") }
            throw ExitCode.failure
        }
    }
}

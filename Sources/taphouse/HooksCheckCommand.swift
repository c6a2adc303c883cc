import ArgumentParser
import Foundation
import Hooks
import Logging
import LuaKit

/// `taphouse hooks check`: loads every network hook (site and built-in) in the sandbox and checks
/// that it returns a table with an `up` function (and `down`, if any, a function), and each
/// `console.lua` that it returns a table with a `console` function, and of `instance.lua` that
/// it returns a table of lifecycle functions.
struct HooksCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Load every hook and check it returns what a network hook must.")

    @OptionGroup var hooks: HooksDirectoryOption

    func run() throws {
        let directories = hooks.directories
        var files: [String] = []
        for folder in [directories.builtin, directories.site].compactMap({ $0 }) {
            let network = folder + "/network"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: network)) ?? []
            files += names.filter { $0.hasSuffix(".lua") }.sorted().map { network + "/" + $0 }
        }
        // Loading a hook runs its top level: in a hook worker, as every hook call.
        let workers = WorkerHooks(
            pool: HookWorkerPool(.taphouse(size: 1)),
            setup: HookWorkerSetup(directories: directories, stateDirectory: "/nonexistent"))
        let consoles = [directories.builtin, directories.site].compactMap { $0 }.map {
            $0 + "/" + ConsolePolicy.fileName
        }.filter { FileManager.default.fileExists(atPath: $0) }
        let lifecycles = [directories.builtin, directories.site].compactMap { $0 }.map {
            $0 + "/" + LifecycleHookRunner.fileName
        }.filter { FileManager.default.fileExists(atPath: $0) }
        var failures = 0
        for file in files + consoles + lifecycles {
            let problem = workers.check(file, console: consoles.contains(file))
            if let problem {
                failures += 1
                FileHandle.standardError.write(Data("\(problem)\n".utf8))
            } else {
                print("ok\t\(file)")
            }
        }
        if let site = directories.site, !FileManager.default.fileExists(atPath: "\(site)/network/ext.lua") {
            print("note\tno site hook for mode ext: NICs in mode ext cannot start")
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

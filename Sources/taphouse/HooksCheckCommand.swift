import ArgumentParser
import Foundation
import Hooks
import Logging
import LuaKit

/// `taphouse hooks check`: loads every network hook (site and built-in) in the sandbox and checks
/// that it returns a table with an `up` function (and `down`, if any, a function), and each
/// `console.lua` that it returns a table with a `console` function.
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
        let sandbox = HookSandbox(moduleRoots: directories.moduleRoots, logger: Logger(label: "taphouse.hooks"))
        let consoles = [directories.builtin, directories.site].compactMap { $0 }.map {
            $0 + "/" + ConsolePolicy.fileName
        }.filter { FileManager.default.fileExists(atPath: $0) }
        var failures = 0
        for file in files + consoles {
            let problem =
                consoles.contains(file)
                ? ConsolePolicy.check(file, sandbox: sandbox) : Self.check(file, sandbox: sandbox)
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

    /// What is wrong with the hook file, as one line naming it, or nil.
    static func check(_ file: String, sandbox: HookSandbox) -> String? {
        let mode = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        guard HookModes.isValid(mode) else {
            return "\(file): \(mode) is not a NIC mode (\(HookModes.all.joined(separator: ", ")))"
        }
        do {
            let state = try sandbox.makeState()
            let returned = try state.call(state.load(file: file), opaque: .describe)
            guard case .map(let table) = returned.first ?? .nil else {
                return "\(file): returns \(returned.first?.typeName ?? "nothing"), not a table with up and down"
            }
            guard table["up"] == .opaque("function") else { return "\(file): the returned table has no up function" }
            if let down = table["down"], down != .opaque("function") {
                return "\(file): down is a \(down.typeName), not a function"
            }
            return nil
        } catch {
            return error.description
        }
    }
}

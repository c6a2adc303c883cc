import Foundation
import Hooks

/// A hook spec file (Lua, run in the hook sandbox with `taphouse.test`): loading it ends, with
/// its cases or one error, within its budgets, whatever the file holds.
enum HookSpecTarget: FuzzTarget {
    static let name = "hook-spec"

    static var runner: HookSpecRunner {
        HookSpecRunner(
            directories: HookDirectories(
                builtin: FuzzTargets.repository + "/hooks", site: nil, library: FuzzTargets.repository + "/lua"))
    }
    static let file = FileManager.default.temporaryDirectory.appendingPathComponent(
        "taphouse-fuzz-spec-\(getpid()).lua"
    ).path

    static func run(_ input: [UInt8]) throws(FuzzFinding) {
        guard FileManager.default.createFile(atPath: file, contents: Data(input)) else {
            throw FuzzFinding("cannot write \(file)")
        }
        switch runner.load(file) {
        case .success(let cases):
            // A case names where it came from.
            guard cases.allSatisfy({ $0.file == file }) else { throw FuzzFinding("a case names another file") }
        case .failure:
            break
        }
    }
}

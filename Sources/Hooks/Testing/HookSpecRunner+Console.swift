import Foundation
import LuaKit
import QEMU

extension HookSpecRunner {
    /// Runs a console case: the console hook that would serve (the case's `site` hook, else the
    /// hooks dir's, else the built-in one) with the case's instance and default, then compares
    /// what it returned, or how it failed, with `expect`.
    func runConsole(_ specCase: HookSpecCase) -> HookSpecOutcome {
        let spec: ConsoleSpec
        do {
            spec = try ConsoleSpec(specCase.table)
        } catch {
            return .failed(["the case cannot run: \(error)"])
        }
        if let skip = spec.skip { return .skipped(skip) }
        var site = directories.site
        var folder: String?
        defer { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
        if let source = spec.site {
            let made = FileManager.default.temporaryDirectory.appendingPathComponent(
                "taphouse-spec-\(UUID().uuidString)"
            ).path
            folder = made
            do {
                try FileManager.default.createDirectory(atPath: made, withIntermediateDirectories: true)
                try Data(source.utf8).write(to: URL(fileURLWithPath: "\(made)/\(ConsolePolicy.fileName)"))
            } catch {
                return .failed(["the case cannot run: \(error)"])
            }
            site = made
        }
        let policy = ConsolePolicy(
            directories: HookDirectories(builtin: directories.builtin, site: site, library: directories.library),
            limits: limits, logger: logger)
        var returned: ConsoleDescription?
        var thrown: HookError?
        do {
            returned = try policy.apply(
                instance: ConsoleInstanceView(spec.input, tags: spec.tags), default: spec.native)
        } catch {
            thrown = error
        }
        var failures: [String] = []
        if let expected = spec.expectedError {
            failures += expected.failures(thrown, action: "console")
        } else if let thrown {
            failures.append("console failed\n  expected: no error\n  actual:   \(thrown)")
        } else if let returned, returned != (spec.expected ?? spec.native) {
            failures.append(
                """
                the console differs\(spec.expected == nil ? " from the default" : "")
                  expected: \((spec.expected ?? spec.native).json)
                  actual:   \(returned.json)
                """)
        }
        return failures.isEmpty ? .passed : .failed(failures)
    }
}

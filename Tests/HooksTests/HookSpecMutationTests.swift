import Foundation
import TestSupport
import Testing

@testable import Hooks

/// The built-in specs must be strong enough that changing any host call of a built-in hook makes
/// one of them fail: each mutant (a call's line deleted, a flag flipped, a call swapped for its
/// opposite, a field of `set_link` dropped) runs every built-in spec against a copy of the hooks.
@Suite("Built-in hook specs against mutated hooks")
struct HookSpecMutationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A line that asks the host for a change.
    static let hostCall =
        #"(net|sysctl|ovs)\.(set_\w+|bridge_vlan_add|bridge_vlan_del|route_replace|route_del|rule_add|rule_del|set|add_port|del_port)\b"#

    struct Mutant: CustomStringConvertible {
        var hook: String
        var line: Int
        var change: String
        var text: String
        var description: String { "\(hook):\(line) \(change)" }
    }

    /// Every mutant of every host-changing line of the built-in network hooks.
    static func mutants() throws -> [Mutant] {
        var mutants: [Mutant] = []
        for hook in ["bridged", "routed", "openvswitch"] {
            let source = try String(contentsOfFile: "\(repository)/hooks/network/\(hook).lua", encoding: .utf8)
            let lines = source.components(separatedBy: "\n")
            for (index, line) in lines.enumerated()
            where line.range(of: hostCall, options: .regularExpression) != nil && !line.hasPrefix("--") {
                func mutant(_ change: String, _ replacement: String) {
                    guard replacement != line else { return }
                    var changed = lines
                    changed[index] = replacement
                    mutants.append(
                        Mutant(hook: hook, line: index + 1, change: change, text: changed.joined(separator: "\n")))
                }
                mutant("deleted", "")
                mutant("true made false", line.replacingOccurrences(of: "true", with: "false"))
                mutant("1 made 0", line.replacingOccurrences(of: ", 1)", with: ", 0)"))
                for (call, opposite) in [
                    ("set_up", "set_down"), ("rule_add", "rule_del"), ("add_port", "del_port"),
                    ("bridge_vlan_add", "bridge_vlan_del"), ("route_replace", "route_del"),
                ] {
                    mutant("\(call) made \(opposite)", line.replacingOccurrences(of: call + "(", with: opposite + "("))
                    mutant(
                        "\(call) made \(opposite)", line.replacingOccurrences(of: call + " {", with: opposite + " {"))
                }
                if line.contains("set_link") {
                    for field in ["mac", "up", "mtu", "master"] {
                        mutant(
                            "set_link without \(field)",
                            line.replacingOccurrences(
                                of: #"\b\#(field) = [^,}]+,? ?"#, with: "", options: .regularExpression))
                    }
                }
            }
        }
        return mutants
    }

    @Test func thereAreMutantsForEveryHook() throws {
        let mutants = try Self.mutants()
        #expect(Set(mutants.map(\.hook)) == ["bridged", "routed", "openvswitch"])
        #expect(mutants.count >= 30)
    }

    @Test(arguments: try mutants())
    func everyMutantFailsAtLeastOneSpec(_ mutant: Mutant) throws {
        let folder = TemporaryFolder()
        for hook in ["bridged", "routed", "openvswitch"] {
            let original = try String(contentsOfFile: "\(Self.repository)/hooks/network/\(hook).lua", encoding: .utf8)
            _ = folder.write("hooks/network/\(hook).lua", hook == mutant.hook ? mutant.text : original)
        }
        // The console specs run too: without the console hook they would fail for every mutant.
        _ = folder.write(
            "hooks/console.lua", try String(contentsOfFile: "\(Self.repository)/hooks/console.lua", encoding: .utf8))
        let runner = HookSpecRunner(
            directories: HookDirectories(
                builtin: folder.path + "/hooks", site: nil, library: Self.repository + "/lua"))
        let results = runner.run(files: try runner.specFiles([Self.repository + "/hooks/spec"]))
        let failed = results.filter { if case .failed = $0.outcome { true } else { false } }
        #expect(!failed.isEmpty, "no built-in spec fails when \(mutant)")
    }

    @Test func theUnchangedHooksPassEverySpec() throws {
        let runner = HookSpecRunner(
            directories: HookDirectories(
                builtin: Self.repository + "/hooks", site: nil, library: Self.repository + "/lua"))
        let results = runner.run(files: try runner.specFiles([]))
        #expect(results.count >= 30)
        for result in results {
            #expect(result.outcome == .passed, "\(result.location) \(result.name): \(result.outcome)")
        }
    }
}

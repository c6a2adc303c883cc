import Foundation

/// Every fuzz target, by name, and where their inputs live.
public enum FuzzTargets {
    public static let all: [any FuzzTarget.Type] = [
        JSONTarget.self, SpecTarget.self, RuntimeTarget.self, VLANTarget.self, HVParamsTarget.self,
        QemuHelpTarget.self, QMPTarget.self, HookSpecTarget.self, ConsoleTarget.self, MigrationInfoTarget.self,
        APIBodyTarget.self,
    ]

    public static func named(_ name: String) -> (any FuzzTarget.Type)? { all.first { $0.name == name } }

    /// The repository, found from this file (the targets read fixtures and the built-in hooks).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The seed corpus of a target (committed), and the inputs that once broke it (kept as
    /// regression tests).
    public static func corpus(_ name: String) -> String { repository + "/Fuzz/Corpus/" + name }
    public static func regressions(_ name: String) -> String { repository + "/Fuzz/Regressions/" + name }
}

import LuaKit
import Node

/// What `taphouse --version` prints: taphouse's version, the Lua it runs and the qemu it finds.
enum TaphouseVersion {
    static let number = "0.1.0"
    /// One line, for the daemon's `GET /v1` and logs.
    static var string: String { "taphouse \(number) (Lua \(LuaRelease.running))" }

    /// The lines of `--version`: a qemu that is missing or does not answer says so and is not an
    /// error (the version is asked for to find out what a node has).
    static func report(qemu: String) async -> String {
        let found: String
        do {
            found = "qemu \(try await QemuProbe.features(of: qemu).version) at \(qemu)"
        } catch {
            found = "qemu: none usable at \(qemu) (\(error))"
        }
        return "taphouse \(number)\nLua \(LuaRelease.running) (built with \(LuaRelease.built))\n\(found)"
    }
}

import Foundation
import LuaKit

/// Where hooks and the Lua modules they may `require` live.
public struct HookDirectories: Sendable, Hashable, Codable {
    /// The built-in hooks shipped with taphouse (`hooks/` of the install).
    public var builtin: String
    /// The site's hooks (`--hooks-dir`, `TAPHOUSE_HOOKS_DIR`, default `/etc/taphouse/hooks`).
    public var site: String?
    /// Lua modules shipped with taphouse (`lua/` of the install).
    public var library: String
    /// The folders hooks may write files under (`taphouse.file.write`): none unless the node
    /// says (`--hook-file-dir`, `TAPHOUSE_HOOK_FILE_DIRS`).
    public var files: [String]

    public init(builtin: String, site: String?, library: String, files: [String] = []) {
        self.builtin = builtin
        self.site = site
        self.library = library
        self.files = files
    }

    /// The folders `require` searches: the site's `lua/`, the library, and the built-in hooks
    /// under the name `taphouse.builtin` (so a site hook can wrap a built-in one).
    public var moduleRoots: [LuaModuleRoot] {
        var roots: [LuaModuleRoot] = []
        if let site { roots.append(LuaModuleRoot(path: site + "/lua")) }
        roots.append(LuaModuleRoot(path: library))
        roots.append(LuaModuleRoot(path: builtin, prefix: "taphouse.builtin"))
        return roots
    }

    /// The file serving the hook at `relative` (`network/bridged.lua`, `console.lua`): the
    /// site's if it has one, else the built-in one; `nil` when neither exists.
    public func hookFile(_ relative: String) -> (path: String, builtin: Bool)? {
        if let site {
            let path = "\(site)/\(relative)"
            if FileManager.default.fileExists(atPath: path) { return (path, false) }
        }
        let path = "\(builtin)/\(relative)"
        return FileManager.default.fileExists(atPath: path) ? (path, true) : nil
    }

    /// The install's folders, found from the running executable: a package's layout
    /// (`<prefix>/bin/taphouse` with `<prefix>/lib/taphouse/hooks` and
    /// `<prefix>/share/taphouse/lua`), or the source tree when run from `.build/<config>/`.
    public static func installed(site: String?, files: [String] = []) -> HookDirectories {
        // The binary itself, not argv[0]: run through PATH, argv[0] is only `taphouse`.
        let bin = URL(fileURLWithPath: HookWorkerPool.Configuration.ownExecutable).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let prefix = bin.deletingLastPathComponent()
        let packaged = prefix.appendingPathComponent("lib/taphouse/hooks")
        if FileManager.default.fileExists(atPath: packaged.appendingPathComponent("network").path) {
            return HookDirectories(
                builtin: packaged.path, site: site,
                library: prefix.appendingPathComponent("share/taphouse/lua").path, files: files)
        }
        // .build/<triple>/<config>/taphouse (.build/<config> is a link to it): the repository's.
        let base = prefix.deletingLastPathComponent().deletingLastPathComponent()
        return HookDirectories(
            builtin: base.appendingPathComponent("hooks").path, site: site,
            library: base.appendingPathComponent("lua").path, files: files)
    }
}

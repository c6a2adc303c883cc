/// A folder `require` may load Lua modules from.
///
/// Module `a.b` resolves to `<path>/a/b.lua`, then `<path>/a/b/init.lua`. With a `prefix`, only
/// names under it resolve here, with the prefix taken off: root `hooks/` with prefix
/// `taphouse.builtin` maps `taphouse.builtin.network.bridged` to `hooks/network/bridged.lua`.
public struct LuaModuleRoot: Sendable, Hashable {
    /// The folder.
    public var path: String
    /// The module name prefix this folder serves, or `nil` for every name.
    public var prefix: String?

    /// Creates a root.
    public init(path: String, prefix: String? = nil) {
        self.path = path
        self.prefix = prefix
    }

    /// The module's path relative to this root (`a/b`), or `nil` when the root does not serve it.
    func relativePath(of module: String) -> String? {
        guard let prefix else { return module.replacingDots() }
        if module == prefix { return nil }
        guard module.hasPrefix(prefix + ".") else { return nil }
        return String(module.dropFirst(prefix.count + 1)).replacingDots()
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
}

import CLua

/// The Lua that runs: the shared library's release, read from the library itself, since
/// Debian may update `liblua5.4-0` under a binary built against older headers.
public enum LuaRelease {
    /// `5.4.4`, from `lua_ident` of the library loaded.
    public static var running: String {
        let ident = String(cString: clua_ident())
        // "$LuaVersion: Lua 5.4.4  Copyright (C) ...": the first word that starts with a digit.
        let words = ident.split(separator: " ")
        if let word = words.first(where: { $0.first?.isNumber == true }) {
            return String(word.prefix { $0.isNumber || $0 == "." })
        }
        return "\(LUA_VERSION_MAJOR).\(LUA_VERSION_MINOR)"
    }

    /// The release of the headers taphouse was built with.
    public static var built: String { "\(LUA_VERSION_MAJOR).\(LUA_VERSION_MINOR).\(LUA_VERSION_RELEASE)" }
}

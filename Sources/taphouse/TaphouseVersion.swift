import CLua

/// The version `taphouse --version` prints, with the Lua it embeds.
enum TaphouseVersion {
    static let number = "0.1.0"
    static var string: String {
        "taphouse \(number) (\(LUA_VERSION_MAJOR).\(LUA_VERSION_MINOR).\(LUA_VERSION_RELEASE))"
    }
}

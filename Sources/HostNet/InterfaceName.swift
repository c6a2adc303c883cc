/// Linux interface name rules (`dev_valid_name`), checked before a name reaches the kernel.
public enum InterfaceName {
    /// Refuses names the kernel would refuse: empty, longer than 15 bytes (IFNAMSIZ - 1), `.` or
    /// `..`, or with `/`, `:`, whitespace or control characters. Non-ASCII names are refused too:
    /// the kernel takes any bytes, but no tool of ours makes such names and they are hard to type.
    static func check(_ name: String, _ operation: @autoclosure () -> String) throws(HostNetError) {
        guard !name.isEmpty, name.utf8.count <= 15, name != ".", name != "..",
            name.unicodeScalars.allSatisfy({
                $0.isASCII && $0.value > 0x20 && $0.value != 0x7f && $0 != "/" && $0 != ":"
            })
        else { throw HostNetError(.invalid, operation(), detail: "\"\(name)\" is not an interface name") }
    }

    /// Whether the kernel could have made a link of this name (``check(_:_:)`` passes).
    public static func isValid(_ name: String) -> Bool {
        (try? check(name, "")) != nil
    }
}

/// Linux interface name rules, checked before a name reaches the kernel.
enum InterfaceName {
    static func check(_ name: String, _ operation: String) throws(HostNetError) {
        guard !name.isEmpty, name.utf8.count <= 15, name != ".", name != "..",
            name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0 != "/" && $0.value != 0x7f })
        else { throw HostNetError(.invalid, operation, detail: "\"\(name)\" is not an interface name") }
    }
}

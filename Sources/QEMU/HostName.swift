/// Host name rules (RFC 1123): instance names become path components, so anything else is
/// refused before a path is ever built.
public enum HostName {
    /// Why `name` is not a valid host name, or `nil` when it is.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a host name is required" }
        if name.utf8.count > 253 { return "\"\(name)\" is longer than 253 characters" }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            if label.isEmpty { return "\"\(name)\" has an empty label" }
            if label.utf8.count > 63 { return "\"\(name)\" has a label longer than 63 characters" }
            let bytes = Array(label.utf8)
            let valid = bytes.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D
            }
            if !valid { return "\"\(name)\" is not a host name (letters, digits and '-' in dot-separated labels)" }
            if bytes.first == 0x2D || bytes.last == 0x2D {
                return "\"\(name)\" has a label that starts or ends with '-'"
            }
        }
        return nil
    }
}

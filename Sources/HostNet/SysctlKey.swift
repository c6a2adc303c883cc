/// Which sysctls hooks may touch: those under `/proc/sys/net`, named by their path below
/// `/proc/sys` (`net/ipv4/conf/tap0/proxy_arp`).
public enum SysctlKey {
    /// The link a per-link sysctl belongs to (`net/ipv4/conf/tap0/proxy_arp` is tap0's, as are
    /// `net/ipv6/conf/...` and `net/ipv{4,6}/neigh/...`); nil for node-wide ones, `all` and
    /// `default` included.
    public static func link(of key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "net", parts[1] == "ipv4" || parts[1] == "ipv6",
            parts[2] == "conf" || parts[2] == "neigh", parts[3] != "all", parts[3] != "default", !parts[3].isEmpty
        else { return nil }
        return String(parts[3])
    }

    /// Refuses keys outside `net/`, with empty, `.` or `..` components, or a NUL.
    public static func check(_ key: String) throws(HostNetError) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first == "net", parts.count >= 2, !key.contains("\0"),
            parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." })
        else {
            throw HostNetError(
                .invalid, "sysctl \(key)", detail: "only keys under net/ (like net/ipv4/conf/tap0/proxy_arp)")
        }
    }
}

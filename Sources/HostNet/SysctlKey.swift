/// Which sysctls hooks may touch: those under `/proc/sys/net`, named by their path below
/// `/proc/sys` (`net/ipv4/conf/tap0/proxy_arp`).
public enum SysctlKey {
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

/// Userspace disk access URIs, as Ganeti passes them to qemu's block layer.
public enum StorageURI: Sendable, Hashable {
    case rbd(pool: String, image: String, user: String?)
    case gluster(host: String, port: Int, volume: String, path: String)

    /// Parses `rbd:pool/image[:id=user]` or `gluster://host[:port]/volume/path`.
    public static func parse(_ uri: String) throws(SpecError) -> StorageURI {
        if uri.hasPrefix("rbd:") {
            let parts = uri.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
            let location = parts[0].split(separator: "/", omittingEmptySubsequences: false)
            guard location.count == 2, !location[0].isEmpty, !location[1].isEmpty else {
                throw SpecError("", "\"\(uri)\" is not rbd:POOL/IMAGE[:id=USER]")
            }
            var user: String?
            for option in parts.dropFirst() {
                guard option.hasPrefix("id="), option.count > 3 else {
                    throw SpecError("", "\"\(uri)\": unknown rbd option \"\(option)\"")
                }
                user = String(option.dropFirst(3))
            }
            return .rbd(pool: String(location[0]), image: String(location[1]), user: user)
        }
        if uri.hasPrefix("gluster://") {
            let rest = uri.dropFirst("gluster://".count)
            guard let slash = rest.firstIndex(of: "/") else { throw SpecError("", "\"\(uri)\" has no volume") }
            let hostPort = rest[..<slash]
            let pathParts = rest[rest.index(after: slash)...].split(separator: "/", maxSplits: 1)
            guard pathParts.count == 2, !hostPort.isEmpty else {
                throw SpecError("", "\"\(uri)\" is not gluster://HOST[:PORT]/VOLUME/PATH")
            }
            var host = String(hostPort)
            var port = 24007
            if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
                guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                    throw SpecError("", "\"\(uri)\" has a bad port")
                }
                port = p
                host = String(hostPort[..<colon])
            }
            return .gluster(host: host, port: port, volume: String(pathParts[0]), path: String(pathParts[1]))
        }
        throw SpecError("", "\"\(uri)\": unsupported storage URI scheme (rbd: or gluster://)")
    }
}

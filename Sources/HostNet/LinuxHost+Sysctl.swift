import SystemPackage

/// Sysctls under `/proc/sys/net`, read and written as files. `/proc/sys/net` shows the network
/// namespace of the thread that opens the file, so these follow the calling thread.
extension LinuxHost {
    /// The value without its trailing newline, or nil when the sysctl does not exist (a device
    /// that is gone, a protocol not loaded). Keys outside `net/` are `.invalid`.
    public func sysctl(_ key: String) throws(HostNetError) -> String? {
        try SysctlKey.check(key)
        let operation = "read sysctl \(key)"
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath("/proc/sys/" + key), .readOnly, options: [.closeOnExec])
        } catch let error as Errno where error == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw HostNetError(.kernel, operation, errno: error as? Errno)
        }
        defer { try? fd.close() }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }  // retries EINTR
            } catch {
                throw HostNetError(.kernel, operation, errno: error as? Errno)
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `value` and a newline. A sysctl that does not exist is `.notFound`; a value the
    /// kernel refuses is `.kernel` (EINVAL); a value with a newline or NUL is `.invalid` (it would
    /// be read as several values).
    public func setSysctl(_ key: String, _ value: String) throws(HostNetError) {
        try SysctlKey.check(key)
        let operation = HostCall.sysctl(key, value).description
        guard !value.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == 0 }) else {
            throw HostNetError(.invalid, operation, detail: "a value is one line")
        }
        do {
            let fd = try FileDescriptor.open(FilePath("/proc/sys/" + key), .writeOnly, options: [.closeOnExec])
            try fd.closeAfter { _ = try fd.writeAll((value + "\n").utf8) }
        } catch let error as Errno where error == .noSuchFileOrDirectory {
            throw HostNetError(.notFound, operation, detail: "no such sysctl", errno: error)
        } catch {
            throw HostNetError(.kernel, operation, errno: error as? Errno)
        }
    }
}

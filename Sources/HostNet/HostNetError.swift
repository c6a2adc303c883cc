import SystemPackage

/// A host networking operation that failed: what was asked, on what, and the kernel's answer.
///
/// `description` reads `set_mtu tap0 9000: Invalid argument`: the call in the notation of
/// ``HostCall``, the kernel's answer, any detail.
public struct HostNetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The kernel refused the request (the errno says why).
        case kernel
        /// No such link, route, rule or file.
        case notFound
        /// The request itself is malformed (a bad name, address or key), refused before the kernel.
        case invalid
        /// The feature is missing on this kernel (bridge VLAN filtering, vhost-net).
        case unsupported
        /// An external command (ovs-vsctl, exec) failed or timed out.
        case command
    }

    public var code: Code
    /// The operation and its object, as a ``HostCall`` where it is one: `set_mtu tap0 9000`.
    public var operation: String
    /// Details beyond the errno.
    public var detail: String?
    /// The kernel's errno, when there is one.
    public var errno: Errno?

    /// Creates an error.
    public init(_ code: Code, _ operation: String, detail: String? = nil, errno: Errno? = nil) {
        self.code = code
        self.operation = operation
        self.detail = detail
        self.errno = errno
    }

    public var description: String {
        var text = operation
        if let errno { text += ": \(errno)" }
        if let detail { text += ": \(detail)" }
        return text
    }
}

/// A qemu version, as the first line of `qemu --help` gives it.
public struct QemuVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The major version, e.g. 7 in 7.2.22.
    public var major: Int
    /// The minor version, e.g. 2 in 7.2.22.
    public var minor: Int
    /// The micro (patch) version, e.g. 22 in 7.2.22; 0 when qemu prints only two parts.
    public var micro: Int

    /// Creates a version.
    public init(_ major: Int, _ minor: Int, _ micro: Int = 0) {
        self.major = major
        self.minor = minor
        self.micro = micro
    }

    /// The oldest qemu taphouse plans command lines for: `-blockdev`, `-netdev tap,fds=`,
    /// `-display none`, QMP and io_uring are all there from 5.0 on.
    public static let minimumSupported = QemuVersion(5, 0, 0)

    /// Orders by major, then minor, then micro.
    public static func < (a: QemuVersion, b: QemuVersion) -> Bool {
        (a.major, a.minor, a.micro) < (b.major, b.minor, b.micro)
    }

    /// `major.minor.micro`, as messages print it.
    public var description: String { "\(major).\(minor).\(micro)" }

    /// `[major, minor, micro]`, as `plan --json` prints it.
    public var array: [Int] { [major, minor, micro] }
}

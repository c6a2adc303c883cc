import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder directly under /tmp with a short name (`/tmp/qmp.AbC123`), because a
/// socket path must fit sun_path's 108 bytes and TestSupport's folders have long names under
/// `$TMPDIR`. Removed when released.
final class ShortTemporaryFolder: Sendable {
    let path: String

    init() {
        var template = Array("/tmp/qmp.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp /tmp/qmp.XXXXXX: errno \(errno)")
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

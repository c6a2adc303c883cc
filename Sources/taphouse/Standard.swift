#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to standard output and error, so output and errors interleave in order.
struct Standard {
    let fd: Int32

    static let output = Standard(fd: 1)
    static let error = Standard(fd: 2)

    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}

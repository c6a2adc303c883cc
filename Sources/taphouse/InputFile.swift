import Foundation

/// Reads a file named on the command line, failing with one line that names it.
enum InputFile {
    static let maxSize = 16 << 20

    static func read(_ path: String, what: String) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CommandFailure("\(path): cannot read the \(what): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maxSize + 1) ?? Data()
        guard data.count <= maxSize else { throw CommandFailure("\(path): the \(what) is larger than 16 MiB") }
        return data
    }
}

/// A command's failure: printed as one line on standard error, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

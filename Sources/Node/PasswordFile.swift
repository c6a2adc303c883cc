import Foundation

/// A console password file (`vnc_password_file`, `spice_password_file`): one line, read at
/// start and handed to qemu through QMP `set_password`, never on a command line or in a log.
/// Strict as Ganeti's `ReadOneLineFile(strict=True)`: empty, or more than one line, is refused,
/// and a refusal names the parameter and the file, never what is in it.
enum PasswordFile {
    static func read(_ path: String, parameter: String) throws(NodeError) -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw NodeError(.file, "\(parameter) \(path): cannot read it: \((error as NSError).localizedDescription)")
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let password = lines.first, !password.isEmpty else {
            throw NodeError(.file, "\(parameter) \(path): the file holds no password")
        }
        guard lines.count == 1 else {
            throw NodeError(.file, "\(parameter) \(path): more than one line (a password file holds one)")
        }
        return String(password)
    }
}

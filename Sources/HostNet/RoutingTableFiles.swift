import Foundation

/// Reads the routing table names files in `ip`'s order: `rt_tables` from `/etc/iproute2`, or
/// from `/usr/share/iproute2` (where Debian's newer iproute2 ships it) when `/etc` has none;
/// then every `*.conf` of `rt_tables.d/` under `/usr/share/iproute2` that `/etc/iproute2`
/// does not override with a file of the same name, then those under `/etc/iproute2`.
public struct RoutingTableFiles: Sendable {
    /// The administrator's folder (`/etc/iproute2`).
    public var etc: String
    /// The distribution's folder (`/usr/share/iproute2`).
    public var usr: String

    public init(etc: String = "/etc/iproute2", usr: String = "/usr/share/iproute2") {
        self.etc = etc
        self.usr = usr
    }

    /// The names, read now (`ip` reads them on every run too: an edit applies at once).
    public func load() -> RoutingTableNames {
        var files: [RoutingTableNames.File] = []
        if let main = read(etc + "/rt_tables") ?? read(usr + "/rt_tables") { files.append(main) }
        let overrides = Set(confFiles(in: etc + "/rt_tables.d"))
        for name in confFiles(in: usr + "/rt_tables.d") where !overrides.contains(name) {
            if let file = read(usr + "/rt_tables.d/" + name) { files.append(file) }
        }
        for name in overrides.sorted() {
            if let file = read(etc + "/rt_tables.d/" + name) { files.append(file) }
        }
        return RoutingTableNames(files: files)
    }

    /// Where a name was looked for, for an error: the main file and the `.d` folders.
    public var searched: String {
        "\(etc)/rt_tables (or \(usr)/rt_tables), \(usr)/rt_tables.d/*.conf, \(etc)/rt_tables.d/*.conf"
    }

    private func read(_ path: String) -> RoutingTableNames.File? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return RoutingTableNames.File(path: path, text: String(decoding: data, as: UTF8.self))
    }

    /// The `*.conf` names of a folder (not hidden, more than the suffix), sorted: `ip` takes
    /// them in directory order, which no one can rely on.
    private func confFiles(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0.count > 5 && $0.hasSuffix(".conf") }.sorted()
    }
}

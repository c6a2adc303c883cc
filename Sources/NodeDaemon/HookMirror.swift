import Foundation
import Hooks
import Logging
import LuaKit

/// The site's hooks as the daemon serves them. Admins edit the site folder; the hooks run from
/// a copy of it in the state directory (`site-live/`) to which a changed file is copied only
/// once it passed its check: a network hook or `console.lua` must load in a worker and return
/// what its kind must, a module must compile. A broken new version is refused and the old one
/// keeps serving; the refusal is an event and shows in `GET /v1/hooks` until a good version
/// comes. Changes are seen through inotify, as the editor saves.
///
/// A NIC's `down` runs the version that brought it up whatever is served now: the hook runner
/// keeps each version's text (`hook-versions/`).
final class HookMirror: @unchecked Sendable {
    /// What `GET /v1/hooks` says of one file.
    struct Status: Codable, Sendable, Equatable {
        /// Relative to the hooks folder: `network/bridged.lua`, `console.lua`, `lua/site/util.lua`.
        var file: String
        /// `site` or `builtin`: where the version served comes from.
        var source: String
        /// The version served (SHA-256 of its text).
        var version: String
        /// A newer site version that was refused, with why.
        var refusedVersion: String?
        var error: String?
    }

    let site: String
    let live: String
    let builtin: String
    /// A network hook's or console policy's problem, or nil (checked in a hook worker).
    private let check: @Sendable (_ file: String, _ console: Bool) -> String?
    private let onEvent: @Sendable (DaemonEvent) -> Void
    private let lock = NSLock()
    private var refused: [String: (version: String, error: String)] = [:]
    private var watcher: Thread?
    private var inotify: Int32 = -1
    private var wake: (read: Int32, write: Int32) = (-1, -1)
    /// Each watched folder by its inotify watch descriptor (touched by the watcher thread only,
    /// once it runs).
    private var folders: [Int32: String] = [:]

    init(
        site: String, live: String, builtin: String, check: @escaping @Sendable (String, Bool) -> String?,
        onEvent: @escaping @Sendable (DaemonEvent) -> Void
    ) {
        self.site = site
        self.live = live
        self.builtin = builtin
        self.check = check
        self.onEvent = onEvent
    }

    /// Every hook file of the site, relative (`network/bridged.lua`, `lua/x/y.lua`).
    private func siteFiles() -> [String] {
        let walker = FileManager.default.enumerator(atPath: site)
        var files: [String] = []
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".lua") { files.append(path) }
        }
        return files.filter(Self.isHookFile).sorted()
    }

    private static func isHookFile(_ relative: String) -> Bool {
        relative == "console.lua" || relative == "instance.lua"
            || (relative.hasPrefix("network/") && relative.split(separator: "/").count == 2)
            || relative.hasPrefix("lua/")
    }

    /// Brings the live folder to what the site has now, at the daemon's start, as edits are
    /// brought in while it serves: a file that passes its check serves; one that does not is
    /// refused, and the version that served before the restart (kept in the live folder) serves
    /// on, or the built-in one where there was none. A file the site no longer has serves no
    /// longer.
    func start() throws {
        try FileManager.default.createDirectory(atPath: live, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: live + "/.candidate")
        let files = siteFiles()
        for file in liveFiles() where !files.contains(file) {
            try? FileManager.default.removeItem(atPath: live + "/" + file)
        }
        // Modules first: a hook's check loads what it requires from the live folder.
        for file in files.filter({ $0.hasPrefix("lua/") }) + files.filter({ !$0.hasPrefix("lua/") }) {
            let text = FileManager.default.contents(atPath: site + "/" + file) ?? Data()
            // Checked even where it is the version served: what served before may not load now
            // (a module it requires changed, or an older taphouse served it unchecked).
            if let problem = candidateProblem(file, text) {
                if FileManager.default.contents(atPath: live + "/" + file) == text {
                    try? FileManager.default.removeItem(atPath: live + "/" + file)
                }
                lock.withLock { refused[file] = (NetworkHookRunner.version(Array(text)), problem) }
                onEvent(
                    DaemonEvent(
                        kind: "hooks-refused",
                        message:
                            "\(file) version \(NetworkHookRunner.version(Array(text)).prefix(12)) refused: \(problem)"))
                continue
            }
            try install(file, text)
        }
        try watch()
    }

    /// Every hook file the live folder serves, relative.
    private func liveFiles() -> [String] {
        let walker = FileManager.default.enumerator(atPath: live)
        var files: [String] = []
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".lua"), Self.isHookFile(path) { files.append(path) }
        }
        return files.sorted()
    }

    /// A changed (or removed) site file: checked and served, or refused.
    func changed(_ file: String) {
        let path = site + "/" + file
        guard let text = FileManager.default.contents(atPath: path) else {
            // Removed: the built-in one (if any) serves from now on.
            try? FileManager.default.removeItem(atPath: live + "/" + file)
            lock.withLock { refused[file] = nil }
            onEvent(DaemonEvent(kind: "hooks-reloaded", message: "\(file): removed from the site"))
            return
        }
        let version = NetworkHookRunner.version(Array(text))
        if let served = FileManager.default.contents(atPath: live + "/" + file), served == text {
            lock.withLock { refused[file] = nil }
            return
        }
        if let problem = candidateProblem(file, text) {
            lock.withLock { refused[file] = (version, problem) }
            onEvent(
                DaemonEvent(
                    kind: "hooks-refused", message: "\(file) version \(version.prefix(12)) refused: \(problem)"))
            return
        }
        do {
            try install(file, text)
            lock.withLock { refused[file] = nil }
            onEvent(DaemonEvent(kind: "hooks-reloaded", message: "\(file): version \(version.prefix(12)) serves"))
        } catch {
            onEvent(DaemonEvent(kind: "hooks-refused", message: "\(file): cannot be installed: \(error)"))
        }
    }

    /// The problem of `text` as the new version of `file`, or nil. Checked under its own name
    /// (a network hook's names its mode) in a folder no hook resolves to, before it is moved in.
    private func candidateProblem(_ file: String, _ text: Data) -> String? {
        let candidate = live + "/.candidate/" + file
        defer { try? FileManager.default.removeItem(atPath: live + "/.candidate") }
        try? FileManager.default.createDirectory(
            atPath: (candidate as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: candidate, contents: text) else {
            return "cannot write \(candidate) to check it"
        }
        return problem(of: file, at: candidate)
    }

    /// The file's check: a network hook or console policy in a worker; a module compiled.
    private func problem(of file: String, at path: String) -> String? {
        if file.hasPrefix("network/") || file == "console.lua" || file == "instance.lua" {
            // The message names the file the admin edited, not the copy checked.
            return check(path, file == "console.lua").map { $0.replacingOccurrences(of: path, with: site + "/" + file) }
        }
        do {
            let state = try HookSandbox(logger: Logger(label: "taphouse.hooks")).makeState()
            _ = try state.load(file: path)
            return nil
        } catch {
            return "\(error)".replacingOccurrences(of: path, with: site + "/" + file)
        }
    }

    private func install(_ file: String, _ text: Data) throws {
        let target = live + "/" + file
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(to: URL(fileURLWithPath: target), options: .atomic)
    }

    /// What `POST /v1/hooks/check` says of one site file as it is now (not installed).
    struct Check: Codable, Sendable {
        var file: String
        var problem: String?
    }

    /// Every site file checked as it is on disk now.
    func checkAll() -> [Check] {
        siteFiles().map { Check(file: $0, problem: problem(of: $0, at: site + "/" + $0)) }
    }

    /// Each mode's hook, the console policy and the site's modules: what serves, and what was
    /// refused.
    func status() -> [Status] {
        let refused = lock.withLock { self.refused }
        var files = Set(HookModes.all.map { "network/\($0).lua" } + ["console.lua"])
        files.formUnion(siteFiles())
        return files.sorted().compactMap { file in
            let fromSite = FileManager.default.contents(atPath: live + "/" + file)
            guard let text = fromSite ?? FileManager.default.contents(atPath: builtin + "/" + file) else {
                return refused[file].map {
                    Status(file: file, source: "site", version: "", refusedVersion: $0.version, error: $0.error)
                }
            }
            return Status(
                file: file, source: fromSite == nil ? "builtin" : "site",
                version: NetworkHookRunner.version(Array(text)), refusedVersion: refused[file]?.version,
                error: refused[file]?.error)
        }
    }

    // MARK: inotify

    private func watch() throws {
        inotify = inotify_init1(Int32(IN_CLOEXEC))
        var pipeFDs: [Int32] = [0, 0]
        guard inotify >= 0, pipe(&pipeFDs) == 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "inotify: errno \(errno)"])
        }
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wake = (pipeFDs[0], pipeFDs[1])
        add("")
        for folder in ["network", "lua"] { addTree(folder) }
        let thread = Thread { [self] in self.readEvents() }
        thread.name = "taphouse hooks watcher"
        watcher = thread
        thread.start()
    }

    private func add(_ relative: String) {
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
        let descriptor = inotify_add_watch(inotify, site + (relative.isEmpty ? "" : "/" + relative), mask)
        if descriptor >= 0 { folders[descriptor] = relative }
    }

    /// Watches `relative` and every folder below it.
    private func addTree(_ relative: String) {
        add(relative)
        let walker = FileManager.default.enumerator(atPath: site + "/" + relative)
        while let path = walker?.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: site + "/" + relative + "/" + path, isDirectory: &isFolder),
                isFolder.boolValue
            {
                add(relative + "/" + path)
            }
        }
    }

    /// Stops watching `relative` and every folder below it (moved out of the site: what happens
    /// to it there is not the site's).
    private func forget(_ relative: String) {
        for (descriptor, folder) in folders where folder == relative || folder.hasPrefix(relative + "/") {
            inotify_rm_watch(inotify, descriptor)
            folders[descriptor] = nil
        }
    }

    /// The watcher thread: reads inotify's events until ``stop()``.
    private func readEvents() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            var entries = [
                pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
            ]
            guard poll(&entries, 2, -1) >= 0 || errno == EINTR else { return }
            if entries[1].revents != 0 { return }
            guard entries[0].revents != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            var changed: [String] = []
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (descriptor, mask, length) = buffer.withUnsafeBytes { raw in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let start = offset + MemoryLayout<inotify_event>.size
                let name = String(decoding: buffer[start..<(start + length)].prefix { $0 != 0 }, as: UTF8.self)
                offset = start + length
                if mask & UInt32(IN_IGNORED) != 0 { folders[descriptor] = nil }
                guard let folder = folders[descriptor], !name.isEmpty else { continue }
                let relative = folder.isEmpty ? name : folder + "/" + name
                var touched: [String] = []
                if mask & UInt32(IN_ISDIR) != 0 {
                    guard relative == "network" || relative == "lua" || relative.hasPrefix("lua/") else { continue }
                    // A folder moved in (a deployment that stages one) or made: watched, and
                    // every file already in it is new; one moved out or removed takes its files.
                    if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                        addTree(relative)
                        touched = siteFiles().filter { $0.hasPrefix(relative + "/") }
                    } else if mask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 {
                        forget(relative)
                        // What served from it, and what was refused from it (a refusal of a
                        // file no longer there is no refusal: the soak found one left).
                        let refusedFiles = lock.withLock { Array(refused.keys) }
                        touched = (liveFiles() + refusedFiles.sorted()).filter { $0.hasPrefix(relative + "/") }
                    }
                } else if relative.hasSuffix(".lua"), Self.isHookFile(relative) {
                    touched = [relative]
                }
                for file in touched where !changed.contains(file) { changed.append(file) }
            }
            for file in changed { self.changed(file) }
        }
    }

    /// Stops watching.
    func stop() {
        guard wake.write >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }
}

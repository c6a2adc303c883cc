extension QemuFeatures {
    /// Reads what a qemu binary supports from the text it prints.
    ///
    /// The tests follow Ganeti's (`hv_kvm`), so a qemu Ganeti drives correctly is read the same way here: each
    /// feature is a line-anchored match over the whole `--help` text, not a parse of its option grammar, which
    /// changes between releases.
    ///
    /// - Parameters:
    ///   - help: the output of `qemu --help`; its first line must carry the version.
    ///   - machineHelp: the output of `qemu -machine help`; `nil` leaves ``machines`` empty (unknown).
    ///   - deviceHelp: the output of `qemu -device help`; `nil` leaves ``devices`` `nil` (unknown).
    /// - Throws: ``QemuHelpError`` with code `.noVersion` when the first line has no version, `.tooOld` when
    ///   the version is older than ``QemuVersion/minimumSupported``.
    public static func parse(
        help: String, machineHelp: String? = nil, deviceHelp: String? = nil
    ) throws(QemuHelpError) -> QemuFeatures {
        let version = try parseVersion(help)
        guard version >= QemuVersion.minimumSupported else {
            throw QemuHelpError(
                .tooOld, "qemu \(version) is too old: taphouse needs qemu \(QemuVersion.minimumSupported) or newer")
        }
        let lines = help.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let machines = machineHelp.map(parseMachines) ?? (names: [], defaultName: nil)
        return QemuFeatures(
            version: version,
            qmp: help.contains(/^-qmp\s/.anchorsMatchLineEndings()),
            netdev: help.contains(/^-netdev\s/.anchorsMatchLineEndings()),
            // Dot-all as in Ganeti: `vhost=on|off` sits on a continuation line of the `-netdev tap` block.
            vhost: help.contains(/^-netdev\stap.*,vhost=on\|off/.anchorsMatchLineEndings().dotMatchesNewlines()),
            multiqueueFds: help.contains(/^-netdev\stap.*,fds=x:y:\.\.\.:z/.anchorsMatchLineEndings()),
            display: help.contains(/^-display\s/.anchorsMatchLineEndings()),
            uuid: help.contains(/^-uuid\s/.anchorsMatchLineEndings()),
            runWith: optionBlocks("-run-with", in: lines).contains { block in
                guard let chroot = block.firstRange(of: "chroot=") else { return false }
                return block[chroot.upperBound...].firstRange(of: "user=") != nil
            },
            noACPI: help.contains(/^-no-acpi\s/.anchorsMatchLineEndings()),
            spice: help.contains(/^-spice\s/.anchorsMatchLineEndings()),
            soundhw: help.contains(/^-soundhw\s/.anchorsMatchLineEndings()),
            autoReadOnly: optionBlocks("-blockdev", in: lines).contains {
                $0.firstRange(of: ",auto-read-only=on|off") != nil
            },
            machines: machines.names,
            defaultMachine: machines.defaultName,
            devices: deviceHelp.map(parseDevices)
        )
    }

    /// Whether `-machine name` can be used: `true` when the machine list is unknown (empty), so a missing
    /// `-machine help` never blocks a plan.
    public func supportsMachine(_ name: String) -> Bool {
        machines.isEmpty || machines.contains(name)
    }

    /// Whether `-device driver,...` can be used: `true` when the device list is unknown (`nil`).
    public func supportsDevice(_ driver: String) -> Bool {
        devices?.contains(driver) ?? true
    }

    /// The version on the first line only: later lines carry other numbers (copyright years, `-smbios
    /// release=%d.%d`, machine names) that must not be mistaken for it.
    private static func parseVersion(_ help: String) throws(QemuHelpError) -> QemuVersion {
        let firstLine = help.prefix { !$0.isNewline }
        // Simple word boundaries, as in Python's `re` where the pattern comes from: Unicode's default ones join
        // digits across dots, so "8.2.2.1" would have no boundary after "8.2.2" and yield no version at all.
        let pattern = /\b(\d+)\.(\d+)(\.(\d+))?\b/.wordBoundaryKind(.simple).asciiOnlyDigits()
        if let match = firstLine.firstMatch(of: pattern), let major = Int(match.1), let minor = Int(match.2) {
            let micro = match.4.flatMap { Int($0) }
            if match.4 == nil || micro != nil {
                return QemuVersion(major, minor, micro ?? 0)
            }
        }
        throw QemuHelpError(
            .noVersion, "cannot find a qemu version on the first line of its --help output: '\(firstLine)'")
    }

    /// The text of each `option` block: from a line that starts with `option` and whitespace, the rest of that
    /// line and the lines after it up to the next line that starts with `-`.
    ///
    /// Ganeti writes this as `^-opt\s([^-]|(?<!^)-)*...` (multi-line, dot-all); Swift Regex cannot rely on
    /// lookbehind on every platform taphouse builds for, so the block is cut by hand with the same meaning.
    private static func optionBlocks(_ option: String, in lines: [Substring]) -> [String] {
        var blocks: [String] = []
        var index = lines.startIndex
        while index < lines.endIndex {
            let line = lines[index]
            index += 1
            guard line.hasPrefix(option) else { continue }
            let rest = line.dropFirst(option.count)
            // `\s` after the name: a blank on the same line, or the line break when the option stands alone.
            guard rest.first?.isWhitespace ?? (index < lines.endIndex) else { continue }
            var block = [rest]
            while index < lines.endIndex, !lines[index].hasPrefix("-") {
                block.append(lines[index])
                index += 1
            }
            blocks.append(block.joined(separator: "\n"))
        }
        return blocks
    }

    /// Machine names from `-machine help`: the first word of each line after the header, and the one marked
    /// `(default)`. Without the header nothing is known, and an empty list means "unknown" to
    /// ``supportsMachine(_:)``.
    private static func parseMachines(_ text: String) -> (names: [String], defaultName: String?) {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let isHeader = { (line: Substring) in
            line.split(whereSeparator: \.isWhitespace).joined(separator: " ") == "Supported machines are:"
        }
        guard let header = lines.firstIndex(where: isHeader) else { return ([], nil) }
        var names: [String] = []
        var defaultName: String?
        for line in lines[(header + 1)...] {
            guard let name = line.split(whereSeparator: \.isWhitespace).first else { continue }
            names.append(String(name))
            if defaultName == nil, line.firstRange(of: "(default)") != nil {
                defaultName = String(name)
            }
        }
        return (names, defaultName)
    }

    /// Driver names from `-device help` (`name "virtio-net-pci", bus PCI, ...`); aliases are not included.
    private static func parseDevices(_ text: String) -> Set<String> {
        Set(text.matches(of: /^name "([^"]+)"/.anchorsMatchLineEndings()).map { String($0.1) })
    }
}

import HostNet

/// A journal read for undo: each change, with the link each of its names meant when it was made
/// (from the `link` entries before it and the tap's index in `begin`).
struct JournalLinks {
    /// What a journal recorded of a name.
    enum Recorded: Equatable {
        /// The link had this index.
        case index(Int32)
        /// No link had the name (a rule may name a link to come).
        case absent
    }

    /// The namespace (with the boot) the recorded indexes belong to; nil for a journal written
    /// before identities were recorded, which is undone by name, as it always was.
    let namespace: String?
    /// The NIC's tap, and what was recorded of it.
    let interface: String?
    let interfaceRecord: Recorded?
    /// The changes in the order they were made, each with the records in force for its names.
    let changes: [(entry: JournalEntry, links: [String: Recorded])]

    init(_ entries: [JournalEntry]) {
        var namespace: String?
        var interface: String?
        var interfaceRecord: Recorded?
        var known: [String: Recorded] = [:]
        var changes: [(JournalEntry, [String: Recorded])] = []
        for entry in entries {
            switch entry {
            case .begin(_, _, let tap, let space, let index, _):
                interface = tap
                namespace = space
                if space != nil {
                    interfaceRecord = index.map(Recorded.index) ?? .absent
                    known[tap] = interfaceRecord
                }
            case .link(let name, let index):
                known[name] = index.map(Recorded.index) ?? .absent
            default:
                changes.append((entry, known.filter { entry.linkNames.contains($0.key) }))
            }
        }
        self.namespace = namespace
        self.interface = interface
        self.interfaceRecord = interfaceRecord
        self.changes = changes
    }
}

/// Whether a name still means the link a journal recorded, on the host as it is now.
final class LinkMatcher {
    enum Match: Equatable {
        /// The same link (or, for a journal without records, a link of that name).
        case same
        /// No link has the name now.
        case gone
        /// Another link has the name now.
        case replaced(index: Int32)
    }

    let network: HostNetwork
    /// Whether the journal's indexes are of this namespace and boot.
    let sameNamespace: Bool
    private var current: [String: LinkState?] = [:]

    init(network: HostNetwork, namespace: String?) {
        self.network = network
        sameNamespace = namespace == nil || namespace == network.namespaceIdentity()
    }

    /// The link of that name now (read once per undo: undo changes no link's identity).
    func link(_ name: String) throws(HostNetError) -> LinkState? {
        if let known = current[name] { return known }
        let link = try network.link(name)
        current[name] = .some(link)
        return link
    }

    func match(_ name: String, _ recorded: JournalLinks.Recorded?) throws(HostNetError) -> Match {
        let now = try link(name)
        switch (recorded, now) {
        case (nil, nil): return .gone  // by name, as before identities: a missing link is gone
        case (nil, _?): return .same
        case (.absent?, nil): return .same  // absent then and now: a rule for a link to come
        case (.absent?, let link?): return .replaced(index: link.index)
        case (.index?, nil): return .gone
        case (.index(let index)?, let link?):
            return sameNamespace && link.index == index ? .same : .replaced(index: link.index)
        }
    }
}

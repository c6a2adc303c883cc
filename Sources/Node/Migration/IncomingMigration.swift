import Hooks

/// A launch as a migration target: qemu listens (`-incoming`) instead of booting, the NICs get
/// the `pre` phase, and the guest waits paused for the `post` phase when a NIC needs it.
struct IncomingMigration {
    var listen: MigrationAddress
    var capabilities: [String]

    /// Whether the guest must stay paused after the move until `finalize` ran the `post` phase.
    static func waitsForPost(_ modes: [String]) -> Bool { modes.contains { post(mode: $0) } }

    /// How a NIC of `mode` comes up before the guest arrives (Ganeti's `AcceptInstance`):
    /// bridged and openvswitch as at a start; ext with `MIGRATION_PHASE=pre`, its failure only
    /// logged; routed not yet (its route would pull the guest's traffic before the guest is here).
    static func pre(mode: String) -> (run: Bool, phase: NetworkHookRunner.Phase?, fatal: Bool) {
        switch mode {
        case "routed": (false, nil, false)
        case "ext": (true, .pre, false)
        default: (true, nil, true)
        }
    }

    /// Whether a NIC of `mode` runs `up` with `MIGRATION_PHASE=post` once the guest is here.
    static func post(mode: String) -> Bool { mode == "routed" || mode == "ext" }
}

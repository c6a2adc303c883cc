/// A moment of an instance's life that `instance.lua` may act on: the function of the hook's
/// table that is called, if it has it.
public enum LifecycleEvent: String, Sendable, Codable, CaseIterable {
    case preStart = "pre_start"
    case postStart = "post_start"
    case preStop = "pre_stop"
    case postStop = "post_stop"
    case preMigrate = "pre_migrate"
    case postMigrate = "post_migrate"
    case nicAdded = "nic_added"
    case nicRemoved = "nic_removed"

    /// Whether a failure stops the operation (`pre_*`), rather than being reported while the
    /// operation stands (the rest).
    public var refuses: Bool { self == .preStart || self == .preStop || self == .preMigrate }
}

/// The budgets a state runs under: time per call, memory per state.
public struct LuaLimits: Sendable, Equatable {
    /// Wall-clock time one call may take (checked on the monotonic clock by the count hook).
    public var timeout: Duration
    /// Lua VM instructions one call may execute; `nil` for no count limit. Counted in steps of
    /// ``hookInterval``, so the limit is exact to within one step.
    public var instructionLimit: Int?
    /// Bytes the whole state may hold; `nil` for no limit.
    public var memoryBytes: Int?
    /// Instructions between two checks of the budget. Smaller reacts faster and costs more.
    public var hookInterval: Int32
    /// How deeply nested a table may be to cross between Lua and Swift.
    public var maxDepth: Int

    /// Creates limits; the defaults suit a hook: 2 s, 64 MiB, no instruction limit.
    public init(
        timeout: Duration = .seconds(2), instructionLimit: Int? = nil, memoryBytes: Int? = 64 << 20,
        hookInterval: Int32 = 1000, maxDepth: Int = 64
    ) {
        self.timeout = timeout
        self.instructionLimit = instructionLimit
        self.memoryBytes = memoryBytes
        self.hookInterval = hookInterval
        self.maxDepth = maxDepth
    }
}

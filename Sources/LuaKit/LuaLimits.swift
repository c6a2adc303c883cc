/// The budgets a state runs under: time per call, memory per state.
public struct LuaLimits: Sendable, Hashable, Codable {
    /// Wall-clock time one call's Lua code may take (checked on the monotonic clock by the count
    /// hook); time a host function spends outside the budget (waiting for a command) does not
    /// count (``LuaArguments/outsideBudget(_:_:)``).
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
    /// Bytes of `print`, `warn` and log output one call may produce; what goes over is dropped,
    /// with one note saying so.
    public var outputBytes: Int
    /// The most a whole call may take, time outside the budget (commands it waits for) included;
    /// nil for no ceiling beyond the budget. Host functions that wait bound their waits by it.
    public var ceiling: Duration?

    /// Creates limits; the defaults suit a hook: 2 s, 64 MiB, no instruction limit, 64 KiB of
    /// output per call.
    public init(
        timeout: Duration = .seconds(2), instructionLimit: Int? = nil, memoryBytes: Int? = 64 << 20,
        hookInterval: Int32 = 1000, maxDepth: Int = 64, outputBytes: Int = 64 << 10, ceiling: Duration? = nil
    ) {
        self.timeout = timeout
        self.instructionLimit = instructionLimit
        self.memoryBytes = memoryBytes
        self.hookInterval = hookInterval
        self.maxDepth = maxDepth
        self.outputBytes = outputBytes
        self.ceiling = ceiling
    }

    /// Bytes one conversion between Lua and Swift may copy: the memory budget, or 64 MiB for a
    /// state without one. A table that shares its children is counted once per time it is
    /// copied, as it is copied that many times.
    var conversionBytes: Int { memoryBytes ?? 64 << 20 }
}

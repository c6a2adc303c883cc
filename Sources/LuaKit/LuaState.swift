import CLua
import Logging

/// A sandboxed Lua 5.4 state with a time budget per call and a memory budget for the state.
///
/// A state belongs to one owner: it is not `Sendable`, and every method must be called from the
/// thread (or actor) that owns it. Load chunks once, then ``call(_:function:arguments:opaque:)``
/// them as often as needed: each call runs with a fresh global table, so one call cannot leave
/// globals (or changes to the libraries) behind for the next, and `require` loads modules anew
/// for each call from compiled code cached for the life of the state.
///
/// No Lua error ever unwinds a Swift frame: Lua code runs only under `lua_pcall`, Swift
/// callbacks return a marker that C code turns into `lua_error`, and inside Swift frames the
/// memory budget is not enforced, so an allocation there cannot raise.
public final class LuaState {
    let L: OpaquePointer
    let budget: UnsafeMutablePointer<clua_budget>
    /// The configuration the state was made with.
    public let configuration: LuaConfiguration

    /// Swift closures Lua can call; the state keeps them alive as long as Lua can reach them.
    var callbacks: [LuaCallback] = []
    /// Registry reference of `newenv` from the prelude.
    var newEnvRef: Int32 = 0
    /// Registry reference of `readonly`, once a call needed it (``LuaPrelude/readOnlySource``).
    var readOnlyRef: Int32?
    /// Registry references of the metatables of strict tables, by shape name.
    var strictMetatables: [String: Int32] = [:]
    /// Registry reference of the prelude's ordered `pairs`.
    var sortedPairsRef: Int32 = 0
    /// Registry reference of the real global table (the unrestricted base library): the `_ENV`
    /// of trusted code compiled after the sandbox is set up. Never reachable from a hook.
    var trustedGlobalsRef: Int32 = 0
    /// Registry reference of the prelude's per-call state table `S` (`env`, `loaded`).
    var callStateRef: Int32 = 0
    /// Registry references of the master table of each Swift module.
    var moduleRefs: [String: Int32] = [:]
    /// Compiled chunks by chunk name: `@path` for files, `=name` for source texts.
    var chunks: [String: CachedChunk] = [:]
    var nextSerial: UInt64 = 1
    /// Full chunk names by the shortened form Lua puts in messages, for names Lua shortens.
    var shortenedNames: [String: String] = [:]
    /// `warn` output arrives in pieces; this holds the pieces of the message being built.
    var pendingWarning = ""
    /// Bytes of output this call produced, against ``LuaLimits/outputBytes``, and whether the
    /// note that the rest was dropped went out.
    var outputUsed = 0
    var outputCut = false
    /// When the current call began, and the time spent outside its budget, by what it was spent
    /// on (a command's argv[0]), for the message of a call that ran out of time.
    var callStart = ContinuousClock.now
    var outsideBudget: [(label: String, time: Duration)] = []

    struct CachedChunk {
        var ref: Int32
        var serial: UInt64
        var stamp: LuaSourceFile.Stamp?
    }

    /// Creates a state with the sandbox installed and the configured modules registered.
    public init(configuration: LuaConfiguration = LuaConfiguration()) throws(LuaError) {
        self.configuration = configuration
        budget = .allocate(capacity: 1)
        budget.initialize(to: clua_budget())
        budget.pointee.limit = configuration.limits.memoryBytes.map { max(1, $0) } ?? 0  // 0: no limit
        // Room for a traceback and an error message once the budget is spent.
        budget.pointee.reserve = max(64 << 10, budget.pointee.limit / 16)
        budget.pointee.interval = max(1, configuration.limits.hookInterval)
        guard let state = clua_newstate(budget) else {
            budget.deallocate()
            throw LuaError(.memory, "cannot create a Lua state")
        }
        L = state
        lua_setwarnf(L, LuaState.warnFunction, Unmanaged.passUnretained(self).toOpaque())
        do {
            try installSandbox()
            for module in configuration.modules { try register(module) }
        } catch {
            lua_close(L)
            budget.deallocate()
            throw error
        }
        assert(lua_gettop(L) == 0)
    }

    deinit {
        // `__gc` finalisers run in lua_close; give them a short deadline of their own.
        budget.pointee.expired = 0
        budget.pointee.memory_exhausted = 0
        budget.pointee.refused_pending = 0
        budget.pointee.deadline_ns = clua_now_ns() + 100_000_000
        clua_arm_hook(L, budget.pointee.interval)
        lua_close(L)
        budget.deallocate()
    }

    /// Bytes the state holds now.
    public var memoryInUse: Int { budget.pointee.used }

    /// The most bytes the state held since the start of the last call.
    public var peakMemory: Int { budget.pointee.peak }

    /// The depth of the Lua stack: zero between calls (tests check that every path restores it).
    public var stackTop: Int32 { lua_gettop(L) }

    // MARK: - Loading

    /// Loads a file as text under its own path as chunk name, so messages read `path:line:`.
    ///
    /// The compiled chunk is cached: loading an unchanged file again returns the cached chunk;
    /// a changed one (size, mtime or inode) is compiled anew.
    public func load(file path: String) throws(LuaError) -> LuaChunk {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard let (ref, serial) = try cachedFileChunk(path) else {
            throw LuaError(.file, "cannot read: No such file or directory", file: path, errno: .noSuchFileOrDirectory)
        }
        return LuaChunk(name: path, key: "@" + path, ref: ref, serial: serial, owner: ObjectIdentifier(self))
    }

    /// Compiles source text under `name` (shown verbatim in messages: `name:line:`).
    public func load(source: String, name: String) throws(LuaError) -> LuaChunk {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try compile(Array(source.utf8), chunkName: "=" + name, displayName: name)
        let (ref, serial) = store(key: "=" + name, stamp: nil)
        return LuaChunk(name: name, key: "=" + name, ref: ref, serial: serial, owner: ObjectIdentifier(self))
    }

    /// The compiled chunk of `path`, loaded or reused, as (registry reference, serial).
    /// Returns `nil` when there is no such file. Leaves the stack as it found it.
    func cachedFileChunk(_ path: String) throws(LuaError) -> (Int32, UInt64)? {
        guard let stamp = try LuaSourceFile.stamp(of: path) else { return nil }
        if let cached = chunks["@" + path], cached.stamp == stamp { return (cached.ref, cached.serial) }
        let (bytes, readStamp) = try LuaSourceFile.read(path)
        try compile(bytes, chunkName: "@" + path, displayName: path)
        return store(key: "@" + path, stamp: readStamp)
    }

    /// Compiles text and leaves the function on the stack (or throws, leaving nothing).
    func compile(_ bytes: [UInt8], chunkName: String, displayName: String) throws(LuaError) {
        let shortened = LuaState.shortSource(chunkName)
        if shortened != displayName { shortenedNames[shortened] = displayName }
        guard lua_checkstack(L, 2) != 0 else { throw LuaError(.memory, "Lua stack exhausted", file: displayName) }
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { clua_loadtext(L, $0.baseAddress, $0.count, chunkName) }
        }
        guard status == LUA_OK else {
            let error = callError(status: status, chunk: displayName)
            lua_settop(L, -2)
            throw error
        }
    }

    /// Moves the function on top of the stack into the registry under `key` (its chunk name),
    /// releasing the chunk it replaces.
    private func store(key: String, stamp: LuaSourceFile.Stamp?) -> (Int32, UInt64) {
        if let old = chunks[key] { luaL_unref(L, CLUA_REGISTRYINDEX, old.ref) }
        let ref = luaL_ref(L, CLUA_REGISTRYINDEX)
        let serial = nextSerial
        nextSerial += 1
        chunks[key] = CachedChunk(ref: ref, serial: serial, stamp: stamp)
        return (ref, serial)
    }

    // MARK: - Calling

    /// Runs a chunk with a fresh environment and returns what it returns; with `function`, the
    /// chunk must return a table, and that table's `function` field is called with `arguments`.
    ///
    /// The whole call (the chunk and the function) runs under one time budget.
    /// - Parameter opaque: what to do with functions and coroutines among the results.
    /// - Parameter strict: arguments (by index, from 0) whose tables refuse reads of fields
    ///   they may not have (``LuaStrictTable``).
    public func call(
        _ chunk: LuaChunk, function: String? = nil, arguments: [LuaValue] = [],
        strict: [Int: LuaStrictTable] = [:], opaque: LuaValue.OpaquePolicy = .refuse
    ) throws(LuaError) -> [LuaValue] {
        try run(
            chunk, function: function, arguments: arguments, readOnly: [:], strict: strict, locate: false,
            opaque: opaque
        ).values
    }

    /// Calls `function` of the table a chunk returns, as ``call(_:function:arguments:opaque:)``
    /// does, and tells where that function is defined, so that a caller checking what it
    /// returned can point at it.
    /// - Parameter readOnly: arguments (by index, from 0) handed over as read-only views, with
    ///   the name a write's error calls them by (`cannot set instance.name: instance is
    ///   read-only`). A view reads through to the table (nested tables are views too, `#`,
    ///   `pairs` and `ipairs` work); `next` and `rawget` see an empty table.
    public func callFunction(
        _ chunk: LuaChunk, _ function: String, arguments: [LuaValue], readOnly: [Int: String] = [:],
        opaque: LuaValue.OpaquePolicy = .refuse
    ) throws(LuaError) -> LuaCallResult {
        try run(
            chunk, function: function, arguments: arguments, readOnly: readOnly, strict: [:], locate: true,
            opaque: opaque)
    }

    /// - Parameter locate: whether to find where `function` is defined (a debug-info look-up that
    ///   plain calls, the hot path of network hooks, do without).
    private func run(
        _ chunk: LuaChunk, function: String?, arguments: [LuaValue], readOnly: [Int: String],
        strict: [Int: LuaStrictTable], locate: Bool,
        opaque: LuaValue.OpaquePolicy
    ) throws(LuaError) -> LuaCallResult {
        guard chunk.owner == ObjectIdentifier(self) else {
            preconditionFailure("chunk \(chunk.name) belongs to another LuaState")
        }
        guard let current = chunks[chunk.key], current.serial == chunk.serial else {
            throw LuaError(.file, "chunk was replaced by a newer load of the same name", file: chunk.name)
        }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        try beginCall(chunk)
        defer { endCall() }
        let env = lua_gettop(L)

        guard lua_checkstack(L, Int32(min(arguments.count, Int(Int32.max - 8))) + 8) != 0 else {
            throw LuaError(.conversion, "too many arguments (\(arguments.count))", file: chunk.name)
        }
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(chunk.ref))
        lua_pushvalue(L, env)
        lua_setupvalue(L, -2, 1)  // _ENV of the main chunk, shared by every function it defines

        var definition: (file: String?, line: Int?) = (nil, nil)
        if let function {
            try protectedCall(arguments: 0, results: 1, chunk: chunk.name)
            let returned = lua_type(L, -1)
            guard returned == LUA_TTABLE else {
                throw LuaError(
                    .missingFunction,
                    "returned \(LuaState.typeName(returned)), not a table with a function '\(function)'",
                    file: chunk.name)
            }
            pushString(function)
            lua_rawget(L, -2)
            guard lua_type(L, -1) == LUA_TFUNCTION else {
                throw LuaError(
                    .missingFunction,
                    "returned a table whose '\(function)' is \(LuaState.typeName(lua_type(L, -1))), not a function",
                    file: chunk.name)
            }
            if locate { definition = definedAt() }
            lua_rotate(L, -2, 1)
            lua_settop(L, -2)
        }
        try pushAll(arguments, what: "argument", file: chunk.name)
        for (index, shape) in strict where arguments.indices.contains(index) {
            try makeStrict(lua_gettop(L) - Int32(arguments.count) + Int32(index) + 1, shape, chunk)
        }
        for (index, name) in readOnly.sorted(by: { $0.key < $1.key }) where arguments.indices.contains(index) {
            try makeReadOnly(lua_gettop(L) - Int32(arguments.count) + Int32(index) + 1, name: name, chunk)
        }
        try protectedCall(arguments: Int32(arguments.count), results: LUA_MULTRET, chunk: chunk.name)
        return LuaCallResult(
            values: try readAll(from: env + 1, what: "result", opaque: opaque, file: chunk.name),
            file: definition.file, line: definition.line)
    }

    /// Where the function on top of the stack (left there) is defined: its chunk's display name
    /// and first line; `nil`s for a C function.
    private func definedAt() -> (file: String?, line: Int?) {
        var record = lua_Debug()
        lua_pushvalue(L, -1)
        guard lua_getinfo(L, ">S", &record) != 0, record.linedefined >= 0, let source = record.source else {
            return (nil, nil)
        }
        // `source` is the whole chunk name (only `short_src` is shortened).
        let file = LuaState.displayName(ofChunkName: String(cString: source))
        return (file, record.linedefined > 0 ? Int(record.linedefined) : nil)
    }

    /// Gives the table at stack index `index` (and its nested tables the shape names) the
    /// metatable of its shape; anything else is left as it is.
    private func makeStrict(_ index: Int32, _ shape: LuaStrictTable, _ chunk: LuaChunk) throws(LuaError) {
        guard lua_type(L, index) == LUA_TTABLE, lua_checkstack(L, 4) != 0 else { return }
        let absolute = lua_absindex(L, index)
        try pushStrictMetatable(shape, chunk)
        lua_setmetatable(L, absolute)
        for (field, nested) in shape.nested {
            pushString(field)
            lua_rawget(L, absolute)
            if lua_type(L, -1) == LUA_TTABLE { try makeStrict(-1, nested, chunk) }
            lua_settop(L, -2)
        }
    }

    /// Pushes the metatable of a strict table's shape, made once per shape name.
    private func pushStrictMetatable(_ shape: LuaStrictTable, _ chunk: LuaChunk) throws(LuaError) {
        if let ref = strictMetatables[shape.name] {
            lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(ref))
            return
        }
        try compile(
            Array(LuaPrelude.strictSource.utf8), chunkName: LuaPrelude.chunkName, displayName: "[LuaKit sandbox]")
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(trustedGlobalsRef))
        lua_setupvalue(L, -2, 1)
        pushString(shape.name)
        lua_createtable(L, Int32(shape.fields.count), 0)
        for (offset, field) in shape.fields.sorted().enumerated() {
            pushString(field)
            lua_rawseti(L, -2, lua_Integer(offset + 1))
        }
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(sortedPairsRef))
        let status = clua_pcall(L, 3, 1)
        guard status == LUA_OK else { throw callError(status: status, chunk: chunk.name) }
        lua_pushvalue(L, -1)
        strictMetatables[shape.name] = luaL_ref(L, CLUA_REGISTRYINDEX)
    }

    /// Replaces the table at stack index `index` with a read-only view of it (other values
    /// stay as they are).
    private func makeReadOnly(_ index: Int32, name: String, _ chunk: LuaChunk) throws(LuaError) {
        guard lua_type(L, index) == LUA_TTABLE else { return }
        if readOnlyRef == nil {
            try compile(
                Array(LuaPrelude.readOnlySource.utf8), chunkName: LuaPrelude.chunkName, displayName: "[LuaKit sandbox]")
            lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(trustedGlobalsRef))
            lua_setupvalue(L, -2, 1)
            let status = clua_pcall(L, 0, 1)
            guard status == LUA_OK else { throw callError(status: status, chunk: "[LuaKit sandbox]") }
            readOnlyRef = luaL_ref(L, CLUA_REGISTRYINDEX)
        }
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(readOnlyRef ?? 0))
        lua_pushvalue(L, index)
        pushString(name)
        let status = clua_pcall(L, 2, 1)
        guard status == LUA_OK else { throw callError(status: status, chunk: chunk.name) }
        lua_copy(L, -1, index)
        lua_settop(L, -2)
    }

    /// Resets the budgets, arms the hook, and leaves a fresh environment on the stack.
    private func beginCall(_ chunk: LuaChunk) throws(LuaError) {
        let limits = configuration.limits
        let b = budget
        b.pointee.expired = 0
        b.pointee.memory_exhausted = 0
        b.pointee.refused_pending = 0
        b.pointee.enforce = 0
        b.pointee.instructions = 0
        b.pointee.peak = b.pointee.used
        b.pointee.instruction_limit = limits.instructionLimit.map { UInt64(max(1, $0)) } ?? 0
        let (seconds, attoseconds) = limits.timeout.components
        let timeoutNs = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000
        b.pointee.timeout_ms = timeoutNs / 1_000_000
        b.pointee.deadline_ns = clua_now_ns() + max(1, timeoutNs)
        outputUsed = 0
        outputCut = false
        pendingWarning = ""
        callStart = .now
        outsideBudget = []
        clua_arm_hook(L, b.pointee.interval)
        guard lua_checkstack(L, 4) != 0 else { throw LuaError(.memory, "Lua stack exhausted", file: chunk.name) }
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(newEnvRef))
        let status = clua_pcall(L, 0, 1)
        guard status == LUA_OK else {
            throw callError(status: status, chunk: chunk.name)
        }
    }

    /// Keeps `elapsed` out of the current call's Lua budget (its deadline moves by as much) and
    /// notes what it was spent on. For host functions that wait: a command's wait counts against
    /// the command's own timeout, not the hook's budget.
    func excludeFromBudget(_ elapsed: Duration, label: String) {
        let (seconds, attoseconds) = elapsed.components
        let nanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000
        if budget.pointee.deadline_ns > 0 { budget.pointee.deadline_ns += nanoseconds }
        outsideBudget.append((label, elapsed))
    }

    /// What is left of the call's ceiling (nil without one).
    var ceilingLeft: Duration? {
        configuration.limits.ceiling.map { $0 - (ContinuousClock.now - callStart) }
    }

    /// How the current call spent its time: `Lua 2.0 s; /usr/sbin/nft 1.2 s`.
    func timeSpent() -> String {
        let total = ContinuousClock.now - callStart
        let outside = outsideBudget.reduce(Duration.zero) { $0 + $1.time }
        func seconds(_ duration: Duration) -> String {
            let (whole, atto) = duration.components
            let hundredths = max(0, whole * 100 + atto / 10_000_000_000_000_000)
            let fraction = hundredths % 100
            return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction) s"
        }
        var parts: [String] = ["Lua " + seconds(total - outside)]
        for spent in outsideBudget { parts.append(spent.label + " " + seconds(spent.time)) }
        return parts.joined(separator: "; ")
    }

    private func endCall() {
        budget.pointee.enforce = 0
        if clua_memory_spent(budget) != 0 {
            // The call's garbage is what spent the budget; give it back before the next call.
            _ = clua_gc(L, LUA_GCCOLLECT, 0)
        }
    }

    /// Calls the function under the arguments on top of the stack with the budget enforced,
    /// and turns a failure into a ``LuaError`` (the error object is left for the caller's
    /// `settop` to remove).
    private func protectedCall(arguments: Int32, results: Int32, chunk: String) throws(LuaError) {
        budget.pointee.enforce = 1
        let status = clua_pcall(L, arguments, results)
        budget.pointee.enforce = 0
        guard status == LUA_OK else { throw callError(status: status, chunk: chunk) }
        // A call that overran inside one long instruction or C call returned before the hook
        // could look at the clock: it failed all the same.
        if budget.pointee.expired == 0, budget.pointee.deadline_ns > 0, clua_now_ns() >= budget.pointee.deadline_ns {
            budget.pointee.expired = Int32(CLUA_EXPIRED_CLOCK)
        }
        if let ceiling = configuration.limits.ceiling, ContinuousClock.now - callStart > ceiling {
            throw LuaError(
                .timeout, "the call's ceiling of \(ceiling) passed (\(timeSpent()))", file: chunk)
        }
        // A spent budget is an error even when the code caught it and returned before the hook
        // could raise it again.
        if budget.pointee.expired != 0 || clua_memory_spent(budget) != 0 {
            clua_push_budget_message(L, budget)
            throw callError(status: LUA_ERRRUN, chunk: chunk)
        }
    }
}

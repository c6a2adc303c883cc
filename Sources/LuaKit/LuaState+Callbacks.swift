import CLua

extension LuaState {
    /// Pushes a Swift closure as a Lua function. The body runs with the memory budget not
    /// enforced (allocations in Swift frames must not raise) and gets the calling thread.
    func pushCallback(name: String, _ body: @escaping (LuaState, OpaquePointer) -> Int32) {
        let callback = LuaCallback(name: name) { [unowned self] L in
            let enforced = self.budget.pointee.enforce
            self.budget.pointee.enforce = 0
            defer { self.budget.pointee.enforce = enforced }
            return body(self, L)
        }
        callbacks.append(callback)
        clua_pushswift(L, LuaCallback.dispatch, Unmanaged.passUnretained(callback).toOpaque())
    }

    /// Runs a ``LuaFunction``: converts the arguments, calls it, pushes its results; a thrown
    /// error is pushed as the message to raise.
    func invoke(_ function: LuaFunction, named name: String, _ L: OpaquePointer) -> Int32 {
        do {
            let arguments = LuaArguments(
                functionName: name, stack: LuaArgumentStack(state: self, L: L), caller: caller(L))
            let results = try function(arguments)
            guard lua_checkstack(L, Int32(min(results.count, Int(Int32.max - 8))) + 4) != 0 else {
                throw LuaArgumentError(message: "'\(name)' returned too many values (\(results.count))")
            }
            // What a host function returns is the hook's memory like any other: it must fit the
            // budget before it is made, and is counted once it is.
            let estimate = results.reduce(0) { $0 + LuaState.luaBytes($1) }
            if let refused = spendMemory(estimate, for: name, L) { return refused }
            lua_settop(L, 0)
            for (index, value) in results.enumerated() {
                try push(value, in: L, depth: 0, path: "result #\(index + 1) of '\(name)'")
            }
            if let refused = spendMemory(0, for: name, L) { return refused }
            return Int32(results.count)
        } catch let error as LuaArgumentError {
            return raise(error.message, L)
        } catch let error as LuaError {
            return raise(error.file == nil ? error.message : error.description, L)
        } catch {
            return raise("\(name): \(error)", L)
        }
    }

    /// Refuses what `name` returned when the state's memory with `more` bytes is over the
    /// budget: the budget counts as spent (the hook raises again at the next instruction, so a
    /// `pcall` cannot keep the result) and the marker to raise the budget's message is returned.
    private func spendMemory(_ more: Int, for name: String, _ L: OpaquePointer) -> Int32? {
        let b = budget
        guard b.pointee.limit > 0, b.pointee.used + more > b.pointee.limit else { return nil }
        b.pointee.memory_exhausted = 1
        lua_settop(L, 0)
        clua_push_budget_message(L, b)
        let message = (LuaState.string(L, -1) ?? "memory budget exhausted") + " (by what '\(name)' returned)"
        return raise(message, L)
    }

    /// The Lua function that called the running Swift one: its chunk's display name and the
    /// line being run (level 1; level 0 is the Swift function itself).
    func caller(_ L: OpaquePointer) -> (file: String, line: Int)? {
        var record = lua_Debug()
        guard lua_getstack(L, 1, &record) != 0, lua_getinfo(L, "Sl", &record) != 0, record.currentline > 0,
            let source = record.source
        else { return nil }
        return (LuaState.displayName(ofChunkName: String(cString: source)), Int(record.currentline))
    }

    /// Leaves `message` alone on the stack and returns the marker the trampoline raises on.
    func raise(_ message: String, _ L: OpaquePointer) -> Int32 {
        lua_settop(L, 0)
        pushString(message, in: L)
        return CLUA_RAISE
    }

    /// `print`'s sink: one string argument, already joined by the prelude.
    func emit(_ L: OpaquePointer) -> Int32 {
        if let text = admitOutput(LuaState.bytes(L, 1)) { deliver(.print(text)) }
        return 0
    }

    /// `warn`'s sink: one string, already joined by the prelude.
    func emitWarning(_ L: OpaquePointer) -> Int32 {
        if let text = admitOutput(LuaState.bytes(L, 1)) { deliver(.warning(text)) }
        return 0
    }

    /// What of `bytes` this call may still send out (cut to what is left of
    /// ``LuaLimits/outputBytes``), or nil when nothing is left; the first cut sends one note.
    /// For `print`, `warn` and the log functions of modules (``LuaArguments/admitOutput(_:)``).
    func admitOutput(_ bytes: UnsafeRawBufferPointer) -> String? {
        let left = configuration.limits.outputBytes - outputUsed
        if bytes.count <= left {
            outputUsed += bytes.count
            return String(decoding: bytes, as: UTF8.self)
        }
        if !outputCut {
            outputCut = true
            configuration.logger.warning(
                "lua output cut",
                metadata: [
                    "limit": "\(configuration.limits.outputBytes) bytes per call",
                    "note": "what the call printed, warned or logged beyond the limit was dropped",
                ])
        }
        guard left > 0 else { return nil }
        outputUsed = configuration.limits.outputBytes
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes.prefix(left)), as: UTF8.self) + " [cut]"
    }

    func deliver(_ output: LuaOutput) {
        if let sink = configuration.output {
            sink(output)
            return
        }
        switch output {
        case .print(let text): configuration.logger.info("lua print", metadata: ["text": "\(text)"])
        case .warning(let text): configuration.logger.warning("lua warning", metadata: ["text": "\(text)"])
        }
    }

    /// Lua's warning function: pieces are joined until the last one; control messages (`@on`,
    /// `@off`) are ignored, since warnings are always delivered.
    static let warnFunction: lua_WarnFunction = { ud, message, toContinue in
        guard let ud, let message else { return }
        let state = Unmanaged<LuaState>.fromOpaque(ud).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: message, count: strlen(message))
        if state.pendingWarning.isEmpty && toContinue == 0 && bytes.first == UInt8(ascii: "@") { return }
        // Pieces count against the call's output as they come, so a huge warning is cut, not built.
        if let piece = state.admitOutput(bytes) { state.pendingWarning += piece }
        if toContinue == 0 {
            let text = state.pendingWarning
            state.pendingWarning = ""
            if !text.isEmpty { state.deliver(.warning(text)) }
        }
    }

    /// `require`'s searcher, called by the prelude with a module name. Returns `"host", table`
    /// for a Swift module, `"file", function, path` for a Lua file (its _ENV set to the call's
    /// environment), or `nil, message`.
    func findModule(_ L: OpaquePointer) -> Int32 {
        guard let name = LuaState.string(L, 1) else { return raise("module name must be a string", L) }
        lua_settop(L, 0)
        guard LuaState.isValidModuleName(name) else {
            lua_pushnil(L)
            pushString(
                "module name '\(name)' is not valid (dot-separated names of letters, digits, '_' and '-')", in: L)
            return 2
        }
        if let master = moduleRefs[name] {
            pushString("host", in: L)
            copyTable(registryRef: master, in: L)
            return 2
        }
        var tried = ["\n\tno Swift module '\(name)'"]
        for root in configuration.moduleRoots {
            guard let relative = root.relativePath(of: name) else { continue }
            for candidate in [root.path + "/" + relative + ".lua", root.path + "/" + relative + "/init.lua"] {
                let found: (Int32, UInt64)?
                do {
                    found = try cachedFileChunk(candidate)
                } catch {
                    lua_settop(L, 0)
                    lua_pushnil(L)
                    pushString("error loading module '\(name)' from file '\(candidate)':\n\t\(error)", in: L)
                    return 2
                }
                guard let (ref, _) = found else {
                    tried.append("\n\tno file '\(candidate)'")
                    continue
                }
                pushString("file", in: L)
                lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(ref))
                lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(callStateRef))
                pushString("env", in: L)
                lua_rawget(L, -2)
                lua_rotate(L, -2, 1)
                lua_settop(L, -2)
                lua_setupvalue(L, -2, 1)
                pushString(candidate, in: L)
                return 3
            }
        }
        lua_pushnil(L)
        pushString("module '\(name)' not found:" + tried.joined(), in: L)
        return 2
    }

    /// Pushes a shallow copy of the table at `registryRef`.
    private func copyTable(registryRef: Int32, in L: OpaquePointer) {
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(registryRef))
        let source = lua_gettop(L)
        lua_createtable(L, 0, 8)
        lua_pushnil(L)
        while lua_next(L, source) != 0 {
            lua_pushvalue(L, -2)
            lua_rotate(L, -2, 1)
            lua_rawset(L, -4)
        }
        lua_rotate(L, -2, 1)
        lua_settop(L, -2)
    }
}

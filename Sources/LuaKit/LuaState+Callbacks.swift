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
        let count = lua_gettop(L)
        do {
            var values: [LuaValue] = []
            values.reserveCapacity(Int(count))
            for index in stride(from: 1, through: count, by: 1) {
                do {
                    values.append(try read(L, index, path: "argument #\(index) to '\(name)'", opaque: .refuse))
                } catch {
                    throw LuaArgumentError(message: "bad argument #\(index) to '\(name)' (\(error.message))")
                }
            }
            let results = try function(LuaArguments(functionName: name, values: values, caller: caller(L)))
            guard lua_checkstack(L, Int32(min(results.count, Int(Int32.max - 8))) + 4) != 0 else {
                throw LuaArgumentError(message: "'\(name)' returned too many values (\(results.count))")
            }
            lua_settop(L, 0)
            for (index, value) in results.enumerated() {
                try push(value, in: L, depth: 0, path: "result #\(index + 1) of '\(name)'")
            }
            return Int32(results.count)
        } catch let error as LuaArgumentError {
            return raise(error.message, L)
        } catch let error as LuaError {
            return raise(error.file == nil ? error.message : error.description, L)
        } catch {
            return raise("\(name): \(error)", L)
        }
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
        let text = LuaState.string(L, 1) ?? ""
        deliver(.print(text))
        return 0
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
        let piece = String(cString: message)
        if state.pendingWarning.isEmpty && toContinue == 0 && piece.hasPrefix("@") { return }
        state.pendingWarning += piece
        if toContinue == 0 {
            let text = state.pendingWarning
            state.pendingWarning = ""
            state.deliver(.warning(text))
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

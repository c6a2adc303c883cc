import CLua

extension LuaState {
    /// Opens the safe libraries, runs the prelude with the Swift primitives it needs, and keeps
    /// its `newenv` and per-call state table. Runs before the memory budget is ever enforced.
    func installSandbox() throws(LuaError) {
        for (name, open) in [
            ("_G", luaopen_base), ("table", luaopen_table), ("string", luaopen_string),
            ("math", luaopen_math), ("utf8", luaopen_utf8), ("coroutine", luaopen_coroutine),
        ] as [(String, lua_CFunction)] {
            luaL_requiref(L, name, open, 1)
            lua_settop(L, -2)
        }
        // The C functions that loop over their input without running Lua code, replaced by
        // LuaKit's own, which poll the call's time budget as they go: in Lua's, a backtracking
        // pattern, a long plain search, or a table whose __len lies runs as long as it likes in
        // one C call, where the count hook never fires.
        for (library, functions) in [
            (
                "string",
                [
                    ("find", clua_str_find), ("match", clua_str_match), ("gmatch", clua_str_gmatch),
                    ("gsub", clua_str_gsub), ("rep", clua_str_rep),
                ]
            ),
            (
                "table",
                [
                    ("insert", clua_tab_insert), ("remove", clua_tab_remove), ("move", clua_tab_move),
                    ("concat", clua_tab_concat), ("sort", clua_tab_sort),
                ]
            ),
        ] as [(String, [(String, lua_CFunction)])] {
            lua_getglobal(L, library)
            for (name, function) in functions {
                clua_pushcfunction(L, function)
                lua_setfield(L, -2, name)
            }
            lua_settop(L, -2)
        }

        let bytecode = LuaPrelude.bytecode
        let loaded = bytecode.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                luaL_loadbufferx(L, $0.baseAddress, $0.count, LuaPrelude.chunkName, "b")
            }
        }
        if bytecode.isEmpty || loaded != LUA_OK {
            // Not expected (the same Lua wrote it); the text serves all the same.
            if loaded != LUA_OK { lua_settop(L, -2) }
            try compile(
                Array(LuaPrelude.source.utf8), chunkName: LuaPrelude.chunkName, displayName: "[LuaKit sandbox]")
        }
        // host: the primitives the prelude wraps.
        lua_createtable(L, 0, 4)
        pushCallback(name: "print") { state, L in state.emit(L) }
        lua_setfield(L, -2, "emit")
        pushCallback(name: "warn") { state, L in state.emitWarning(L) }
        lua_setfield(L, -2, "warn")
        pushCallback(name: "require") { state, L in state.findModule(L) }
        lua_setfield(L, -2, "find")
        clua_pushcfunction(L, clua_spent)
        lua_setfield(L, -2, "spent")
        luaL_requiref(L, "os", luaopen_os, 0)  // a source for the clock functions, never exposed
        lua_setfield(L, -2, "os")
        // S: the per-call state `newenv` fills in and `find` reads.
        lua_createtable(L, 0, 2)
        lua_pushvalue(L, -1)
        callStateRef = luaL_ref(L, CLUA_REGISTRYINDEX)
        let status = clua_pcall(L, 2, 2)
        guard status == LUA_OK else {
            throw callError(status: status, chunk: "[LuaKit sandbox]")
        }
        sortedPairsRef = luaL_ref(L, CLUA_REGISTRYINDEX)
        newEnvRef = luaL_ref(L, CLUA_REGISTRYINDEX)
        // The real global table keeps the unrestricted base library; the prelude captured what it
        // needs, so replace it with an empty one: a chunk that ever ran with the default _ENV
        // would see nothing. The real one stays in the registry, for trusted code compiled later.
        lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(LUA_RIDX_GLOBALS))
        trustedGlobalsRef = luaL_ref(L, CLUA_REGISTRYINDEX)
        lua_createtable(L, 0, 0)
        lua_rawseti(L, CLUA_REGISTRYINDEX, lua_Integer(LUA_RIDX_GLOBALS))
    }

    /// Registers a Swift module: its master table stays in the registry, and every `require`
    /// of it within a call gets a fresh copy.
    func register(_ module: LuaModule) throws(LuaError) {
        guard LuaState.isValidModuleName(module.name) else {
            throw LuaError(.conversion, "module name '\(module.name)' is not valid")
        }
        lua_createtable(L, 0, Int32(module.functions.count + module.values.count))
        for (field, function) in module.functions {
            let qualified = "\(module.name).\(field)"
            pushCallback(name: field) { state, L in state.invoke(function, named: qualified, L) }
            lua_setfield(L, -2, field)
        }
        for (field, value) in module.values {
            do {
                try push(value, depth: 0, path: "\(module.name).\(field)")
            } catch {
                lua_settop(L, -2)
                throw error
            }
            lua_setfield(L, -2, field)
        }
        if let old = moduleRefs[module.name] { luaL_unref(L, CLUA_REGISTRYINDEX, old) }
        moduleRefs[module.name] = luaL_ref(L, CLUA_REGISTRYINDEX)
    }

    /// A module name is dot-separated identifiers: nothing that could walk out of a root folder.
    static func isValidModuleName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && name.utf8.count <= 256
            && parts.allSatisfy { part in
                guard let first = part.utf8.first, !(0x30...0x39).contains(first) else { return false }
                return part.utf8.allSatisfy {
                    $0 == 0x5F || $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                        || (0x61...0x7A).contains($0)
                }
            }
    }
}

import CLua

extension LuaState {
    // MARK: - Swift to Lua

    /// Pushes `value` onto the main thread's stack.
    func push(_ value: LuaValue, depth: Int, path: String) throws(LuaError) {
        try push(value, in: L, depth: depth, path: path)
    }

    /// Pushes `value` onto `L`'s stack. On error the stack may hold a partly built table; the
    /// caller restores its top.
    func push(_ value: LuaValue, in L: OpaquePointer, depth: Int, path: String) throws(LuaError) {
        guard lua_checkstack(L, 3) != 0 else { throw LuaError(.conversion, "\(path): Lua stack exhausted") }
        switch value {
        case .nil: lua_pushnil(L)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): pushString(s, in: L)
        case .bytes(let bytes):
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
            }
        case .array(let elements):
            try checkDepth(depth, path)
            lua_createtable(L, Int32(clamping: elements.count), 0)
            for (offset, element) in elements.enumerated() {
                try push(element, in: L, depth: depth + 1, path: path + "[\(offset + 1)]")
                lua_rawseti(L, -2, lua_Integer(offset + 1))
            }
        case .map(let entries):
            try checkDepth(depth, path)
            lua_createtable(L, 0, Int32(clamping: entries.count))
            for (key, element) in entries.sorted(by: { $0.key < $1.key }) where element != .nil {
                switch key {
                case .string(let s): pushString(s, in: L)
                case .integer(let i): lua_pushinteger(L, lua_Integer(i))
                }
                try push(element, in: L, depth: depth + 1, path: path + key.pathComponent())
                lua_rawset(L, -3)
            }
        case .opaque(let kind):
            throw LuaError(.conversion, "\(path): a \(kind) cannot be passed to Lua")
        }
    }

    private func checkDepth(_ depth: Int, _ path: String) throws(LuaError) {
        guard depth < configuration.limits.maxDepth else {
            throw LuaError(.conversion, "\(path): table nested deeper than \(configuration.limits.maxDepth) levels")
        }
    }

    /// Pushes the arguments of a call, each converted; names the argument that fails. They
    /// count against the memory budget like anything the call makes.
    func pushAll(_ values: [LuaValue], what: String, file: String) throws(LuaError) {
        for (index, value) in values.enumerated() {
            do {
                try push(value, depth: 0, path: "\(what) #\(index + 1)")
            } catch {
                throw LuaError(.conversion, error.message, file: file)
            }
        }
        if budget.pointee.limit > 0, budget.pointee.used > budget.pointee.limit {
            clua_push_budget_message(L, budget)
            let message = (LuaState.string(L, -1) ?? "memory budget exhausted") + " (by the call's \(what)s)"
            throw LuaError(.memory, message, file: file)
        }
    }

    func pushString(_ string: String) { pushString(string, in: L) }

    func pushString(_ string: String, in L: OpaquePointer) {
        var string = string
        string.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    /// About what `value` takes as Lua values: the string bytes, and Lua's own size of each
    /// value, table and table slot (an estimate: it decides only whether a result fits the
    /// memory budget before it is made).
    static func luaBytes(_ value: LuaValue) -> Int {
        switch value {
        case .nil, .boolean, .integer, .number, .opaque: 16
        case .string(let s): 40 + s.utf8.count
        case .bytes(let b): 40 + b.count
        case .array(let elements): 56 + elements.reduce(0) { $0 + 16 + luaBytes($1) }
        case .map(let entries):
            56 + entries.reduce(0) { $0 + 48 + luaBytes($1.value) + 40 + $1.key.description.utf8.count }
        }
    }

    // MARK: - Lua to Swift

    /// The values from stack index `first` to the top, converted (all of them together within
    /// one conversion budget).
    func readAll(
        from first: Int32, what: String, opaque: LuaValue.OpaquePolicy, file: String
    ) throws(LuaError) -> [LuaValue] {
        let top = lua_gettop(L)
        guard first <= top else { return [] }
        var values: [LuaValue] = []
        values.reserveCapacity(Int(top - first + 1))
        var budget = configuration.limits.conversionBytes
        for index in first...top {
            do {
                values.append(
                    try read(L, index, path: "\(what) #\(index - first + 1)", opaque: opaque, budget: &budget))
            } catch {
                throw LuaError(.conversion, error.message, file: file)
            }
        }
        return values
    }

    /// Converts the value at `index` without calling anything that can raise: raw access only,
    /// so metatables are ignored. Leaves the stack as it found it, on error too.
    ///
    /// - Parameter budget: bytes the conversion may still copy, decreased by what it copies
    ///   (strings, and an estimate of each value and table entry); going below zero is an error.
    ///   A table reached twice is copied twice and counted twice.
    func read(
        _ L: OpaquePointer, _ index: Int32, path: String, opaque: LuaValue.OpaquePolicy, budget: inout Int
    ) throws(LuaError) -> LuaValue {
        var visiting: Set<UnsafeRawPointer> = []
        let top = lua_gettop(L)
        let start = budget
        do {
            return try read(
                L, lua_absindex(L, index), depth: 0, path: path, visiting: &visiting, opaque: opaque, budget: &budget)
        } catch {
            lua_settop(L, top)
            if budget < 0 {
                throw LuaError(
                    .conversion,
                    "\(path): over \(start) bytes to copy to Swift (a table that shares its parts is copied once per reference)"
                )
            }
            throw error
        }
    }

    /// What one value costs to copy beyond its bytes: Swift's enum and collection overhead.
    static let copyOverhead = 48

    private func read(
        _ L: OpaquePointer, _ index: Int32, depth: Int, path: String, visiting: inout Set<UnsafeRawPointer>,
        opaque: LuaValue.OpaquePolicy, budget: inout Int
    ) throws(LuaError) -> LuaValue {
        budget -= LuaState.copyOverhead
        if budget < 0 { throw LuaError(.conversion, "\(path): conversion budget spent") }
        let type = lua_type(L, index)
        switch type {
        case LUA_TNIL, LUA_TNONE:
            return .nil
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, index) != 0 { return .integer(Int64(lua_tointegerx(L, index, nil))) }
            return .number(lua_tonumberx(L, index, nil))
        case LUA_TSTRING:
            let bytes = LuaState.bytes(L, index)
            budget -= bytes.count
            if budget < 0 { throw LuaError(.conversion, "\(path): conversion budget spent") }
            if let string = String(validating: bytes, as: UTF8.self) { return .string(string) }
            return .bytes(Array(bytes))
        case LUA_TTABLE:
            return try readTable(
                L, index, depth: depth, path: path, visiting: &visiting, opaque: opaque, budget: &budget)
        default:
            switch opaque {
            case .describe: return .opaque(LuaState.typeName(type))
            case .refuse: throw LuaError(.conversion, "\(path): a \(LuaState.typeName(type)) cannot be passed to Swift")
            }
        }
    }

    private func readTable(
        _ L: OpaquePointer, _ index: Int32, depth: Int, path: String, visiting: inout Set<UnsafeRawPointer>,
        opaque: LuaValue.OpaquePolicy, budget: inout Int
    ) throws(LuaError) -> LuaValue {
        guard depth < configuration.limits.maxDepth else {
            throw LuaError(.conversion, "\(path): table nested deeper than \(configuration.limits.maxDepth) levels")
        }
        guard let identity = lua_topointer(L, index) else { return .map([:]) }
        guard visiting.insert(identity).inserted else {
            throw LuaError(.conversion, "\(path): table contains itself (a cycle)")
        }
        defer { visiting.remove(identity) }
        guard lua_checkstack(L, 4) != 0 else { throw LuaError(.conversion, "\(path): Lua stack exhausted") }

        var entries: [LuaKey: LuaValue] = [:]
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            let key: LuaKey
            switch lua_type(L, -2) {
            case LUA_TSTRING:
                let bytes = LuaState.bytes(L, -2)
                budget -= bytes.count + LuaState.copyOverhead
                if budget < 0 { throw LuaError(.conversion, "\(path): conversion budget spent") }
                guard let string = String(validating: bytes, as: UTF8.self) else {
                    throw LuaError(.conversion, "\(path): a key is not valid UTF-8")
                }
                key = .string(string)
            case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                key = .integer(Int64(lua_tointegerx(L, -2, nil)))
            case let keyType:
                let shown = keyType == LUA_TNUMBER ? "a fractional number" : "a \(LuaState.typeName(keyType))"
                throw LuaError(
                    .conversion, "\(path): \(shown) key cannot be passed to Swift (only strings and integers)")
            }
            entries[key] = try read(
                L, lua_gettop(L), depth: depth + 1, path: path + key.pathComponent(), visiting: &visiting,
                opaque: opaque, budget: &budget)
            lua_settop(L, -2)
        }
        let count = Int64(entries.count)
        if count > 0,
            entries.keys.allSatisfy({ if case .integer(let i) = $0 { i >= 1 && i <= count } else { false } })
        {
            return .array((1...count).map { entries[.integer($0)]! })
        }
        return .map(entries)
    }

    // MARK: - Raw helpers

    /// The bytes of the string at `index` (which must be a string: numbers are not converted).
    static func bytes(_ L: OpaquePointer, _ index: Int32) -> UnsafeRawBufferPointer {
        var length = 0
        let pointer = lua_tolstring(L, index, &length)
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// The string at `index`, decoded leniently, or `nil` when the value is not a string.
    static func string(_ L: OpaquePointer, _ index: Int32) -> String? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        return String(decoding: bytes(L, index), as: UTF8.self)
    }

    static func typeName(_ type: Int32) -> String {
        switch type {
        case LUA_TNONE: "no value"
        case LUA_TNIL: "nil"
        case LUA_TBOOLEAN: "boolean"
        case LUA_TLIGHTUSERDATA, LUA_TUSERDATA: "userdata"
        case LUA_TNUMBER: "number"
        case LUA_TSTRING: "string"
        case LUA_TTABLE: "table"
        case LUA_TFUNCTION: "function"
        case LUA_TTHREAD: "thread"
        default: "unknown"
        }
    }
}

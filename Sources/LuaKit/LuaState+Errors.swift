import CLua

extension LuaState {
    /// Turns the error object on top of the stack (left there) into a ``LuaError``.
    ///
    /// The code comes from the budget first (a timeout or a spent memory budget may have been
    /// caught and re-raised as an ordinary error on the way out), then from the status. The
    /// position comes from the message's `chunk:line:` prefix, with names Lua shortened mapped
    /// back to the full path; without a prefix, from the innermost Lua frame.
    func callError(status: Int32, chunk: String) -> LuaError {
        var message: String
        var traceback: String?
        var frameSource: String?
        var frameLine: Int?
        var frames: [(file: String, line: Int)] = []
        if lua_type(L, -1) == LUA_TTABLE {
            message = rawStringField("message") ?? "(no message)"
            traceback = rawStringField("traceback")
            frameSource = rawStringField("source").map(LuaState.displayName(ofChunkName:))
            frameLine = rawIntegerField("line")
            frames = rawFrames()
        } else if let string = LuaState.string(L, -1) {
            message = string
        } else {
            message = "(error object is a \(LuaState.typeName(lua_type(L, -1))) value)"
        }

        var code: LuaError.Code =
            switch status {
            case LUA_ERRSYNTAX: .syntax
            case LUA_ERRMEM: .memory
            case LUA_ERRERR: .errorHandler
            default: .runtime
            }
        if budget.pointee.expired != 0 {
            code = .timeout
            // Where the time went, when some of it was spent outside the budget.
            if !outsideBudget.isEmpty { message += " (\(timeSpent()))" }
        } else if clua_memory_spent(budget) != 0 || status == LUA_ERRMEM {
            code = .memory
            if message == "not enough memory", budget.pointee.limit > 0 {
                clua_push_budget_message(L, budget)
                message = (LuaState.string(L, -1) ?? "memory budget exhausted") + " (not enough memory)"
                lua_settop(L, -2)
            }
        }

        var file = frameSource ?? chunk
        var line = frameLine
        if let (source, sourceLine, rest) = LuaState.splitPosition(message), isChunkSource(source, chunk, frameSource) {
            if let full = shortenedNames[source] {
                file = full
            } else if !source.hasPrefix("...") {
                file = source
            }
            line = sourceLine
            message = rest
        }
        // An error inside a module the chunk required (a library, a built-in hook a site hook
        // wraps) is reported at the chunk's own line that led to it, with the module's position
        // kept in the message: the chunk is what its author can change.
        // When the chunk's frame is gone (`return ganeti.scripts(dir)` is a tail call, and a hook
        // function the chunk returned from a module runs with no frame of the chunk at all), the
        // error is the chunk's, at no line.
        if file != chunk, chunk != "[LuaKit sandbox]" {
            message = "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
            let own = frames.first { $0.file == chunk }
            (file, line) = (chunk, own?.line)
        }
        return LuaError(code, message, file: file, line: line, traceback: traceback)
    }

    /// Whether `source` (the text before `:line:` in a message) names a chunk: one this state
    /// loaded (as Lua shows it), the call's, a frame's, or one `load` made. A message that only
    /// holds `:00:` somewhere (a MAC address) has no position.
    private func isChunkSource(_ source: String, _ chunk: String, _ frame: String?) -> Bool {
        source == chunk || source == frame || shortenedNames[source] != nil || source.hasPrefix("...")
            || chunks["@" + source] != nil || chunks["=" + source] != nil || source.hasPrefix("[string \"")
            || source == "(load)" || source == "[LuaKit sandbox]"
    }

    /// The `frames` of the message handler's table: each Lua frame's chunk and line.
    private func rawFrames() -> [(file: String, line: Int)] {
        pushString("frames")
        lua_rawget(L, -2)
        defer { lua_settop(L, -2) }
        guard lua_type(L, -1) == LUA_TTABLE else { return [] }
        var frames: [(file: String, line: Int)] = []
        var index: lua_Integer = 1
        while lua_rawgeti(L, -1, index) == LUA_TTABLE {
            lua_rawgeti(L, -1, 1)
            lua_rawgeti(L, -2, 2)
            if let source = LuaState.string(L, -2), lua_isinteger(L, -1) != 0 {
                frames.append((LuaState.displayName(ofChunkName: source), Int(lua_tointegerx(L, -1, nil))))
            }
            lua_settop(L, -4)
            index += 1
        }
        lua_settop(L, -2)
        return frames
    }

    private func rawStringField(_ key: String) -> String? {
        pushString(key)
        lua_rawget(L, -2)
        defer { lua_settop(L, -2) }
        return LuaState.string(L, -1)
    }

    private func rawIntegerField(_ key: String) -> Int? {
        pushString(key)
        lua_rawget(L, -2)
        defer { lua_settop(L, -2) }
        return lua_isinteger(L, -1) != 0 ? Int(lua_tointegerx(L, -1, nil)) : nil
    }

    /// `@path` and `=name` chunk names as shown to people: the path or the name.
    static func displayName(ofChunkName name: String) -> String {
        if let first = name.first, first == "@" || first == "=" { return String(name.dropFirst()) }
        return name
    }

    /// The name Lua puts in messages for a chunk name (`luaO_chunkid`): `@` names longer than
    /// LUA_IDSIZE - 1 bytes keep their end behind `...`; `=` names keep their start.
    static func shortSource(_ chunkName: String) -> String {
        let bytes = Array(chunkName.utf8)
        let size = Int(CLUA_IDSIZE)
        guard let first = bytes.first, first == UInt8(ascii: "@") || first == UInt8(ascii: "="), bytes.count > size
        else { return displayName(ofChunkName: chunkName) }
        if first == UInt8(ascii: "=") {
            return String(decoding: bytes[1..<size], as: UTF8.self)
        }
        let kept = size - 4  // "..." and the terminating NUL share the buffer
        return "..." + String(decoding: bytes[(bytes.count - kept)...], as: UTF8.self)
    }

    /// Splits `chunk:line: message` at the first `:digits:`; `nil` when there is no such prefix.
    static func splitPosition(_ message: String) -> (String, Int, String)? {
        let bytes = Array(message.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: ":") {
                var j = i + 1
                while j < bytes.count, (0x30...0x39).contains(bytes[j]) { j += 1 }
                if j > i + 1, j < bytes.count, bytes[j] == UInt8(ascii: ":"), j - i <= 10, i > 0 {
                    let source = String(decoding: bytes[..<i], as: UTF8.self)
                    let line = Int(String(decoding: bytes[(i + 1)..<j], as: UTF8.self)) ?? 0
                    var restStart = j + 1
                    if restStart < bytes.count, bytes[restStart] == UInt8(ascii: " ") { restStart += 1 }
                    return (source, line, String(decoding: bytes[restStart...], as: UTF8.self))
                }
            }
            if bytes[i] == UInt8(ascii: "\n") { return nil }
            i += 1
        }
        return nil
    }
}

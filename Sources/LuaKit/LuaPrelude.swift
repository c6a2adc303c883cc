import CLua

/// The trusted Lua code that builds the sandbox, run once per state before any other code.
///
/// It runs with the full base library, captures what it needs in locals, and returns the
/// functions the state uses afterwards: `newenv` (a fresh global table per call) and the
/// sandboxed replacements of `print`, `load`, `require` and `collectgarbage`. Nothing in the
/// sandbox can reach the real global table, the real library tables or the string metatable,
/// so nothing a call does to them can outlive the call.
enum LuaPrelude {
    /// The prelude's chunk name; the C message handler knows it too, to skip its frames.
    static let chunkName = CLUA_SANDBOX_CHUNK

    static let source = #"""
        local host, S = ...
        local type, select, tostring, error, next, setmetatable, rawget, rawset =
          type, select, tostring, error, next, setmetatable, rawget, rawset
        local concat = table.concat
        local rawload, rawcollect = load, collectgarbage
        local emit, find = host.emit, host.find

        -- The libraries a call may use. Each call sees them through proxies of its own: assigning to
        -- `string.x` changes the call's proxy, not the library.
        local os = { clock = host.os.clock, time = host.os.time, date = host.os.date,
                     difftime = host.os.difftime }
        local libs = { string = string, table = table, math = math, utf8 = utf8,
                       coroutine = coroutine, os = os }
        string.dump = nil
        getmetatable("").__metatable = false

        -- pairs() over a proxy walks the library without handing it out: `next, lib` would give
        -- a call the real table, and what it wrote there every later call would see.
        local metas = {}
        for name, lib in next, libs do
          metas[name] = {
            __index = lib,
            __pairs = function(proxy) return function(_, k) return next(lib, k) end, proxy, nil end,
            __metatable = false,
          }
        end

        local pcall, unpack = pcall, table.unpack
        -- Lua 5.4.4 overflows the C stack (a crash) when coroutine.close nests in __close
        -- handlers deep enough (fixed in 5.4.5): the nesting is refused long before.
        local rawclose, rawstatus, closing = coroutine.close, coroutine.status, 0
        coroutine.close = function(co)
          if type(co) ~= "thread" then
            error("bad argument #1 to 'close' (coroutine expected, got " .. type(co) .. ")", 2)
          end
          local status = rawstatus(co)
          if status ~= "suspended" and status ~= "dead" then
            error("cannot close a " .. status .. " coroutine", 2)
          end
          if closing >= 100 then
            error("coroutine.close nested more than 100 deep (in __close handlers): refused, as Lua 5.4.4"
              .. " would overflow the C stack", 2)
          end
          closing = closing + 1
          local result = { pcall(rawclose, co) }
          closing = closing - 1
          if not result[1] then error(result[2], 0) end
          return unpack(result, 2, 3)
        end

        local base = {}
        for _, name in next, { "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall",
            "rawequal", "rawget", "rawlen", "rawset", "select", "setmetatable", "tonumber",
            "tostring", "type", "xpcall", "_VERSION" } do
          base[name] = _G[name]
        end

        -- warn keeps the bytes of its message (Lua's own hands the host C strings, cut at a
        -- NUL) and goes through the call's output budget as print does.
        local warnout = host.warn
        function base.warn(...)
          local n = select("#", ...)
          if n == 0 then error("bad argument #1 to 'warn' (string expected, got no value)", 2) end
          local parts = {}
          for i = 1, n do
            local part = select(i, ...)
            if type(part) ~= "string" and type(part) ~= "number" then
              error("bad argument #" .. i .. " to 'warn' (string expected, got " .. type(part) .. ")", 2)
            end
            parts[i] = part
          end
          local text = concat(parts)
          -- A single piece starting with '@' is a control message (@on, @off): warnings are
          -- always delivered, so there is nothing to switch.
          if n == 1 and text:sub(1, 1) == "@" then return end
          warnout(text)
        end

        -- pairs walks a plain table in a fixed order (integers, then strings, then the rest), the
        -- same on every run and every node: Lua's own order follows a hash seeded anew for each
        -- state, so a hook making host calls in pairs order would make them in another order on
        -- the next node, and an exact-call spec would pass one run and fail the next. A table
        -- with a metatable keeps what it says (a library proxy's __pairs).
        local sort, rawpairs = table.sort, pairs
        local rank = { number = 1, string = 2, boolean = 3 }
        local function sortedpairs(t)
          local keys, position, n = {}, {}, 0
          for k in next, t do
            n = n + 1
            keys[n] = k
            position[k] = n
          end
          sort(keys, function(a, b)
            local ta, tb = rank[type(a)] or 4, rank[type(b)] or 4
            if ta ~= tb then return ta < tb end
            if ta == 1 or ta == 2 then return a < b end
            if ta == 3 then return not a and b end
            return position[a] < position[b]
          end)
          local i = 0
          return function()
            while true do
              i = i + 1
              local k = keys[i]
              if k == nil then return nil end
              local v = rawget(t, k)
              if v ~= nil then return k, v end
            end
          end, t, nil
        end
        function base.pairs(t)
          if type(t) == "table" and getmetatable(t) == nil then return sortedpairs(t) end
          return rawpairs(t)
        end

        function base.print(...)
          local n = select("#", ...)
          local parts = {}
          for i = 1, n do parts[i] = tostring((select(i, ...))) end
          emit(concat(parts, "\t"))
        end

        function base.load(chunk, chunkname, mode, env)
          if type(chunk) ~= "string" then
            error("bad argument #1 to 'load' (string expected, got " .. type(chunk)
              .. ": the sandbox loads text only)", 2)
          end
          if mode ~= nil and mode ~= "t" then
            error("bad argument #3 to 'load' (mode must be \"t\": the sandbox loads no binary chunks)", 2)
          end
          if type(env) ~= "table" then
            error("bad argument #4 to 'load' (table expected, got " .. type(env)
              .. ": the sandbox loads code only with an explicit environment)", 2)
          end
          return rawload(chunk, chunkname or "=(load)", "t", env)
        end

        -- Lua runs no hooks inside a __gc finaliser, so a finaliser would run outside the time
        -- budget. Lua marks an object for finalisation only if its metatable has __gc when
        -- setmetatable is called, so refusing it there is enough.
        local rawsetmetatable = setmetatable
        function base.setmetatable(t, mt)
          if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
            error("bad argument #2 to 'setmetatable' (__gc finalisers are not allowed in the sandbox)", 2)
          end
          return rawsetmetatable(t, mt)
        end

        -- An error raised by the budget hook leaves hooks off while a message handler runs, so a
        -- handler could loop forever. Once the budget is spent, xpcall's handler is skipped.
        local rawxpcall, spent = xpcall, host.spent
        function base.xpcall(f, handler, ...)
          return rawxpcall(f, function(message)
            if spent() then return message end
            return handler(message)
          end, ...)
        end

        local gcoptions = { collect = true, count = true, step = true }
        function base.collectgarbage(option, ...)
          if option == nil then option = "collect" end
          if not gcoptions[option] then
            error("bad argument #1 to 'collectgarbage' (option '" .. tostring(option)
              .. "' is not allowed in the sandbox)", 2)
          end
          return rawcollect(option, ...)
        end

        local LOADING = {}
        function base.require(name)
          if type(name) ~= "string" then
            error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
          end
          local loaded = S.loaded
          local value = loaded[name]
          if value == LOADING then
            error("module '" .. name .. "' is already being loaded (a require loop, or an earlier"
              .. " error while loading it)", 2)
          end
          if value ~= nil then return value end
          if libs[name] then
            value = S.env[name]
            loaded[name] = value
            return value
          end
          local kind, chunk, path = find(name)
          if kind == nil then error(chunk, 2) end
          if kind == "host" then
            loaded[name] = chunk
            return chunk
          end
          loaded[name] = LOADING
          value = chunk(name, path)
          if value == nil then value = true end
          loaded[name] = value
          return value, path
        end

        -- A call's library proxies are made on first use: most calls touch one or two libraries,
        -- and base functions stay one plain table lookup away.
        setmetatable(base, { __index = function(_, name)
          local meta = metas[name]
          if meta == nil then return nil end
          local proxy = setmetatable({}, meta)
          rawset(S.env, name, proxy)
          return proxy
        end })
        local envmeta = { __index = base, __metatable = false }

        local function newenv()
          local env = {}
          env._G = env
          S.env, S.loaded = env, {}
          closing = 0
          return setmetatable(env, envmeta)
        end

        return newenv, sortedpairs
        """#

    /// The prelude compiled once per process, as Lua bytecode: every new state loads it instead
    /// of parsing the text again (parsing it was a third of what a new state cost). Trusted code
    /// of this process's own Lua, so loading it as a binary chunk is safe; hook code is still
    /// loaded as text only. Debug information is kept, so its frames keep their chunk name.
    static let bytecode: [UInt8] = {
        final class Sink { var bytes: [UInt8] = [] }
        guard let L = luaL_newstate() else { return [] }
        defer { lua_close(L) }
        let text = Array(source.utf8)
        let status = text.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { clua_loadtext(L, $0.baseAddress, $0.count, chunkName) }
        }
        guard status == LUA_OK else { return [] }
        let sink = Sink()
        let writer: lua_Writer = { _, data, size, ud in
            guard let data, let ud else { return 1 }
            let sink = Unmanaged<Sink>.fromOpaque(ud).takeUnretainedValue()
            sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        _ = withExtendedLifetime(sink) { lua_dump(L, writer, Unmanaged.passUnretained(sink).toOpaque(), 0) }
        return sink.bytes
    }()

    /// `strictmeta`, compiled on first use: the metatable of a strict table (``LuaStrictTable``),
    /// one per shape, kept by the state. Trusted code, run with the real base library.
    static let strictSource = #"""
        local name, fields, sortedpairs = ...
        local known = {}
        for _, field in next, fields do known[field] = true end
        local list = {}
        for field in next, known do list[#list + 1] = field end
        table.sort(list)
        local allowed = table.concat(list, ", ")
        return {
          __index = function(_, k)
            if known[k] then return nil end
            error(name .. " has no field '" .. tostring(k) .. "' (it has " .. allowed .. ")", 2)
          end,
          __pairs = sortedpairs,
          __metatable = false,
        }
        """#

    /// `readonly`, compiled on first use only (a console policy call), not with every state: it
    /// is trusted code too, run with the real base library (kept in the registry, out of the
    /// sandbox's reach), under the same chunk name, so that errors skip its frames.
    static let readOnlySource = #"""
        -- A read-only view of a table handed to a call: reads go through (nested tables are viewed
        -- the same way), writes raise at the writer's line. The table itself stays out of reach.
        local readonly
        function readonly(t, name)
          local views = {}
          local function path(k)
            if type(k) == "number" then return name .. "[" .. tostring(k) .. "]" end
            return name .. "." .. tostring(k)
          end
          local function view(k, v)
            if type(v) ~= "table" then return v end
            local seen = views[k]
            if seen == nil then
              seen = readonly(v, path(k))
              views[k] = seen
            end
            return seen
          end
          local proxy = {}
          setmetatable(proxy, {
            __index = function(_, k) return view(k, t[k]) end,
            __newindex = function(_, k)
              error("cannot set " .. path(k) .. ": " .. name .. " is read-only", 2)
            end,
            __len = function() return #t end,
            __pairs = function()
              return function(_, k)
                local nk, nv = next(t, k)
                if nk == nil then return nil end
                return nk, view(nk, nv)
              end, proxy, nil
            end,
            __metatable = false,
          })
          return proxy
        end

        return readonly
        """#
}

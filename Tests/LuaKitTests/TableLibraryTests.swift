import CLua
import Testing

/// A bare state made as LuaKit makes its own, through `clua_newstate`, so that
/// `clua_budget_poll` finds the budget. No sandbox and no count hook: whatever stops a call
/// here is the bounded functions' own polling.
private final class BareState {
    let L: OpaquePointer
    let budget: UnsafeMutablePointer<clua_budget>

    init(libraries: [(String, lua_CFunction)]) {
        budget = .allocate(capacity: 1)
        budget.initialize(to: clua_budget())
        guard let state = clua_newstate(budget) else { fatalError("cannot create a Lua state") }
        L = state
        for (name, open) in libraries {
            luaL_requiref(L, name, open, 1)
            lua_settop(L, -2)
        }
    }

    deinit {
        lua_close(L)
        budget.deallocate()
    }

    /// Ends the calls' time budget `milliseconds` from now, as LuaKit does before a call.
    func setDeadline(milliseconds: UInt64) {
        budget.pointee.timeout_ms = milliseconds
        budget.pointee.deadline_ns = clua_now_ns() + milliseconds * 1_000_000
    }

    /// Forgets a spent budget and the hook its error armed, so the state serves another call.
    func resetBudget() {
        budget.pointee.expired = 0
        budget.pointee.deadline_ns = 0
        lua_sethook(L, nil, 0, 0)
    }

    func setGlobal(_ name: String, _ function: lua_CFunction) {
        clua_pushcfunction(L, function)
        lua_setglobal(L, name)
    }

    /// Puts the bounded functions in place of Lua's, as a sandbox would.
    func installBoundedFunctions() {
        for (library, name, function) in TableLibraryTests.bounded {
            lua_getglobal(L, library)
            clua_pushcfunction(L, function)
            lua_setfield(L, -2, name)
            lua_settop(L, -2)
        }
    }

    /// Runs `source` in a protected call: whether it succeeded, and its first result (or the
    /// error) as text. The stack is back at its height before the call either way.
    func run(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) -> (ok: Bool, text: String) {
        let top = lua_gettop(L)
        var status = clua_loadtext(L, source, source.utf8.count, "=test")
        if status == LUA_OK { status = lua_pcallk(L, 0, 1, 0, 0, nil) }
        #expect(lua_gettop(L) == top + 1, "a protected call leaves one value", sourceLocation: sourceLocation)
        let text = String(cString: luaL_tolstring(L, -1, nil))
        lua_settop(L, top)
        return (status == LUA_OK, text)
    }
}

@Suite("Bounded table functions and string.rep")
struct TableLibraryTests {
    static let bounded: [(String, String, lua_CFunction)] = [
        ("table", "insert", clua_tab_insert), ("table", "remove", clua_tab_remove),
        ("table", "move", clua_tab_move), ("table", "concat", clua_tab_concat),
        ("table", "sort", clua_tab_sort), ("string", "rep", clua_str_rep),
    ]

    static let libraries: [(String, lua_CFunction)] = [
        ("_G", luaopen_base), ("table", luaopen_table), ("string", luaopen_string), ("math", luaopen_math),
    ]

    /// A state with the bounded functions in place of Lua's and `milliseconds` of budget.
    private static func boundedState(milliseconds: UInt64) -> BareState {
        let state = BareState(libraries: libraries)
        state.installBoundedFunctions()
        state.setDeadline(milliseconds: milliseconds)
        return state
    }

    @Test func theyBehaveAsLuasOwn() {
        // debug: the script gives booleans a metatable, to pass non-tables that act as tables.
        let state = BareState(libraries: Self.libraries + [("debug", luaopen_debug)])
        for (_, name, function) in Self.bounded { state.setGlobal("my_" + name, function) }
        state.setDeadline(milliseconds: 300_000)
        let top = lua_gettop(state.L)
        let (ok, text) = state.run(differentialScript)
        #expect(ok, "\(text)")
        // The script counts the cases it compared (23915 as written).
        #expect((Int(text) ?? 0) > 20_000, "\(text)")
        #expect(lua_gettop(state.L) == top)
    }

    /// Lists whose reads and writes run no Lua code, so that only the functions' own polls can
    /// stop them: `nils(n)` reads nil and writes to an empty table; `zeros(n)` reads 0 from
    /// `rawlen` and hands writes to it (a table cannot supply a value at every index).
    static let lists = """
        local function nils(n)
          return setmetatable({}, { __len = function() return n end, __index = {}, __newindex = {} })
        end
        local function zeros(n)
          return setmetatable({}, { __len = function() return n end, __index = rawlen, __newindex = rawlen })
        end
        """

    static let endless: [(String, String)] = [
        ("table.move over math.maxinteger - 1 elements", "table.move({}, 1, math.maxinteger - 1, 1, {})"),
        ("table.insert at 1 under a huge __len", "table.insert(nils(math.maxinteger - 1), 1, 'v')"),
        ("table.remove at 1 under a huge __len", "table.remove(nils(math.maxinteger), 1)"),
        ("table.concat over a huge range", "table.concat(zeros(10), ',', 1, math.maxinteger)"),
        ("table.concat under a huge __len", "table.concat(zeros(math.maxinteger))"),
        ("table.sort of 2^31 - 2 equal elements", "table.sort(zeros((1 << 31) - 2))"),
        ("table.sort with a C order function", "table.sort(nils((1 << 31) - 2), math.type)"),
    ]

    @Test("a call that would loop for ages is stopped by the time budget", arguments: endless)
    func endlessCallIsStopped(name: String, source: String) {
        let state = Self.boundedState(milliseconds: 200)
        let clock = ContinuousClock()
        let start = clock.now
        let (ok, text) = state.run(Self.lists + "\n" + source)
        let elapsed = clock.now - start
        #expect(!ok, "\(name)")
        #expect(text == "time budget of 200 ms exhausted", "\(name)")
        // Stopped by the deadline, not by some early error, and soon after it.
        #expect(elapsed > .milliseconds(150), "\(name): \(elapsed)")
        #expect(elapsed < .seconds(1), "\(name): \(elapsed)")
    }

    @Test func repeatingNothingReturnsAtOnce() {
        let state = Self.boundedState(milliseconds: 200)
        let clock = ContinuousClock()
        let start = clock.now
        let (ok, text) = state.run(
            "return string.rep('', math.maxinteger) .. string.rep('', math.maxinteger, '') .. '|'")
        #expect(ok)
        #expect(text == "|")
        #expect(clock.now - start < .milliseconds(100))
    }

    /// McIlroy's adversary ("A killer adversary for quicksort") decides the values as the sort
    /// compares them, always so that the pivot is a poor one: Lua's own quicksort needs about
    /// n^2 / 4 comparisons against it (625 million for 50000 elements). The heapsort fallback
    /// keeps the bounded sort at O(n log n).
    @Test func sortingStaysNLogNAgainstAnAdversary() {
        let state = Self.boundedState(milliseconds: 60_000)
        let (ok, text) = state.run(
            """
            local n, gas = 20000, 20001
            local value, items, solid, candidate, count = {}, {}, 0, nil, 0
            for i = 1, n do value[i], items[i] = gas, i end
            table.sort(items, function(x, y)
              count = count + 1
              if value[x] == gas and value[y] == gas then
                if x == candidate then value[x] = solid else value[y] = solid end
                solid = solid + 1
              end
              if value[x] == gas then candidate = x elseif value[y] == gas then candidate = y end
              return value[x] < value[y]
            end)
            for i = 2, n do assert(value[items[i - 1]] < value[items[i]]) end
            return count / (n * math.log(n, 2))
            """)
        #expect(ok, "\(text)")
        // About 3.6 comparisons per n log2 n element; a quadratic sort would make it ~350.
        #expect((Double(text) ?? .infinity) < 5, "\(text) n log2 n comparisons")
    }

    /// Calls a few thousand steps long: each function polls, so with the deadline already
    /// passed each raises the budget's error.
    static let long: [(String, String)] = [
        ("string.rep", "string.rep('abc', 1 << 22)"),
        ("string.rep with a separator", "string.rep('abc', 1 << 20, ', ')"),
        ("table.insert", "local t = {} for i = 1, 10000 do t[i] = i end table.insert(t, 1, 0)"),
        ("table.remove", "local t = {} for i = 1, 10000 do t[i] = i end table.remove(t, 1)"),
        ("table.move", "table.move({}, 1, 10000, 2)"),
        ("table.concat", "local t = {} for i = 1, 10000 do t[i] = i end table.concat(t, ',')"),
        ("table.sort", shuffled + "table.sort(t)"),
        ("table.sort with an order function", shuffled + "table.sort(t, function(a, b) return a > b end)"),
    ]

    /// 10000 distinct numbers in no order, as `t`.
    static let shuffled = "local t = {} for i = 1, 10000 do t[i] = (i * 7919) % 10007 end "

    @Test("a long call polls the budget", arguments: long)
    func longCallPolls(name: String, source: String) {
        let state = Self.boundedState(milliseconds: 200)
        state.budget.pointee.deadline_ns = 1  // long past
        let (ok, text) = state.run(source)
        #expect(!ok, "\(name)")
        #expect(text == "time budget of 200 ms exhausted", "\(name)")
    }

    /// (function and arguments, the number of results, or nil and a part of the error message)
    static let calls: [(String, Int32?, String)] = [
        ("table.insert, {1, 2}, 'v'", 0, ""),
        ("table.insert, {1, 2}, 1, 'v'", 0, ""),
        ("table.insert, {1, 2}", nil, "wrong number of arguments to 'insert'"),
        ("table.insert, {1, 2}, 9, 'v'", nil, "position out of bounds"),
        ("table.insert, nil, 'v'", nil, "table expected, got nil"),
        ("table.remove, {1, 2}", 1, ""),
        ("table.remove, {}", 1, ""),
        ("table.remove, {1, 2}, 7", nil, "position out of bounds"),
        ("table.move, {1, 2, 3}, 1, 3, 2", 1, ""),
        ("table.move, {1, 2, 3}, 1, 3, math.maxinteger", nil, "destination wrap around"),
        ("table.move, {}, math.mininteger, 0, 1", nil, "too many elements to move"),
        ("table.concat, {1, 2, 3}, ','", 1, ""),
        ("table.concat, {1, {}, 3}, ','", nil, "invalid value (table) at index 2 in table for 'concat'"),
        ("table.sort, {3, 1, 2}", 0, ""),
        ("table.sort, {3, 1, 2}, function(a, b) return a > b end", 0, ""),
        ("table.sort, {3, 1, 2}, function() error('no order') end", nil, "no order"),
        ("table.sort, {3, 1, {}}", nil, "attempt to compare"),
        ("table.sort, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, function() return true end", nil, "invalid order function"),
        ("table.sort, setmetatable({}, {__len = function() return 1 << 31 end})", nil, "array too big"),
        ("string.rep, 'ab', 3, ','", 1, ""),
        ("string.rep, 'x', 1 << 31", nil, "resulting string too large"),
        ("string.rep, 'x', 1 << 22", nil, "time budget of 200 ms exhausted"),
    ]

    @Test("the stack holds the results, or the error, and nothing else", arguments: calls)
    func stackDiscipline(call: String, results: Int32?, message: String) {
        let state = Self.boundedState(milliseconds: 200)
        let L = state.L
        if message.hasPrefix("time budget") { state.budget.pointee.deadline_ns = 1 }
        lua_pushstring(L, "below")  // must survive untouched
        let base = lua_gettop(L)
        // The function and its arguments, pushed by a chunk (which itself runs no bounded function).
        let source = "return " + call
        #expect(clua_loadtext(L, source, source.utf8.count, "=test") == LUA_OK)
        #expect(lua_pcallk(L, 0, LUA_MULTRET, 0, 0, nil) == LUA_OK)
        let arguments = lua_gettop(L) - base - 1
        let status = lua_pcallk(L, arguments, LUA_MULTRET, 0, 0, nil)
        if let results {
            #expect(status == LUA_OK, "\(call): \(String(cString: luaL_tolstring(L, -1, nil)))")
            #expect(lua_gettop(L) - base == results, "\(call)")
        } else {
            #expect(status != LUA_OK, "\(call)")
            #expect(lua_gettop(L) - base == 1, "\(call)")
            #expect(String(cString: lua_tolstring(L, -1, nil)).contains(message), "\(call)")
        }
        lua_settop(L, base)
        #expect(String(cString: lua_tolstring(L, -1, nil)) == "below")
        lua_settop(L, base - 1)
        #expect(lua_gettop(L) == 0)
    }

    @Test func errorsLeaveNoMemoryBehind() {
        let state = Self.boundedState(milliseconds: 60_000)
        let setup = state.run(
            """
            failing = {}
            for i = 1, 20000 do failing[i] = 'item' .. i end
            failing[20001] = {}
            collectgarbage() collectgarbage()
            """)
        #expect(setup.ok, "\(setup.text)")
        let before = state.budget.pointee.used
        // Errors raised with a large luaL_Buffer under construction: an invalid value at the end
        // of a concat, an order function that fails, and the budget's own error in the middle
        // of a long rep, concat and sort.
        for _ in 0..<20 {
            #expect(!state.run("table.concat(failing, ', ')").ok)
            #expect(!state.run("table.sort({3, 2, 1, 5, 4}, function() error('x') end)").ok)
            state.budget.pointee.deadline_ns = 1
            #expect(!state.run("string.rep('abc', 1 << 22, ',')").ok)
            state.resetBudget()
            state.budget.pointee.deadline_ns = 1
            #expect(!state.run("table.concat(failing, ', ', 1, 20000)").ok)
            state.resetBudget()
        }
        #expect(state.run("collectgarbage() collectgarbage()").ok)
        let after = state.budget.pointee.used
        #expect(after <= before + 16 << 10, "\(before) bytes before, \(after) after")
    }

    /// `table.insert(t, v)` runs in hot loops: it must cost about what Lua's own does.
    @Test func appendingIsAsFastAsLuasOwn() {
        let state = BareState(libraries: Self.libraries)
        state.setGlobal("my_insert", clua_tab_insert)
        state.setDeadline(milliseconds: 60_000)
        func best(_ insert: String) -> Duration {
            let source = "local insert, t = \(insert), {} for i = 1, 1e6 do insert(t, i) end"
            let clock = ContinuousClock()
            var best = Duration.seconds(1000)
            for _ in 0..<5 {
                let start = clock.now
                #expect(state.run(source).ok)
                best = min(best, clock.now - start)
            }
            return best
        }
        let lua = best("table.insert")
        let bounded = best("my_insert")
        // Loose: this is a debug build on a shared machine; a poll per element would be 2x.
        #expect(bounded < lua * 2, "Lua's: \(lua), bounded: \(bounded)")
    }
}

// The differential script: every argument form, proxies, errors and random cases, each run
// against Lua's function and the bounded one (globals my_insert, ...), comparing results,
// errors, the tables' contents afterwards and the metamethod calls made.
private let differentialScript = #"""
    -- Lua 5.4's string.rep and table functions against the bounded ones, registered as my_*.
    -- Returns the number of cases compared, or raises with the first differences.
    local real = {
      insert = table.insert, remove = table.remove, move = table.move,
      concat = table.concat, sort = table.sort, rep = string.rep,
    }
    local mine = {
      insert = my_insert, remove = my_remove, move = my_move,
      concat = my_concat, sort = my_sort, rep = my_rep,
    }
    local pack, unpack, sort, concat = table.pack, table.unpack, table.sort, table.concat
    local maxi, mini = math.maxinteger, math.mininteger

    -- Both are called through a local named as the library function, so that messages from
    -- luaL_argerror name them alike ("bad argument #2 to 'insert'"); a method-call form too.
    local invoke, invokeMethod = { real = {}, mine = {} }, { real = {}, mine = {} }
    for name in pairs(real) do
      local plain = load(("local %s = ... return function(...) return pack(%s(...)) end"):format(name, name),
        "=invoke", "t", { pack = pack })
      local method = load(("return function(obj, ...) return pack(obj:%s(...)) end"):format(name),
        "=invoke", "t", { pack = pack })()
      for impl, fns in pairs { real = real, mine = mine } do
        invoke[impl][name] = plain(fns[name])
        invokeMethod[impl][name] = method
      end
    end

    local cases, failures = 0, {}
    local function fail(label, a, b)
      if #failures < 20 then
        failures[#failures + 1] = ("%s\n  real: %s\n  mine: %s"):format(label, a, b)
      end
    end

    -- Text for a value: tables by their name in the case, numbers with their subtype and exactly.
    local function show(v, names)
      local tv = type(v)
      if tv == "string" then return ("%q"):format(v)
      elseif tv == "number" then return math.type(v) .. ":" .. ("%q"):format(v)
      elseif tv == "table" then return names and names[v] and ("<" .. names[v] .. ">") or "table"
      elseif tv == "boolean" or tv == "nil" then return tostring(v)
      else return tv end
    end

    local function dump(t, names)
      local items = {}
      for k, v in next, t do items[#items + 1] = show(k, names) .. "=" .. show(v, names) end
      sort(items)
      return "{" .. concat(items, ",") .. "}"
    end

    -- A case is a builder returning { args = pack(...), tables = { name = table }, log = {} },
    -- called afresh for each implementation; the outcome is the results or the error, the raw
    -- contents of every named table afterwards, and the log of metamethod calls.
    local function outcome(impl, name, build, method)
      local env = build()
      local names = {}
      for k, t in pairs(env.tables or {}) do names[t] = k end
      local ok, res
      if method then
        ok, res = pcall(invokeMethod[impl][name], unpack(env.args, 1, env.args.n))
      else
        ok, res = pcall(invoke[impl][name], unpack(env.args, 1, env.args.n))
      end
      local parts = {}
      if ok then
        parts[1] = "ok " .. res.n
        for i = 1, res.n do parts[#parts + 1] = show(res[i], names) end
      else
        parts[1] = "error " .. show(res, names)
      end
      local keys = {}
      for k in pairs(env.tables or {}) do keys[#keys + 1] = k end
      sort(keys)
      for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. dump(env.tables[k], names) end
      if env.log then parts[#parts + 1] = "log: " .. concat(env.log, " ") end
      return concat(parts, "; "), ok, res
    end

    local function check(label, name, build, method)
      cases = cases + 1
      local a = outcome("real", name, build, method)
      local b = outcome("mine", name, build, method)
      if a ~= b then fail(label, a, b) end
    end

    local function copy(list, n)
      local t = {}
      for i = 1, n or #list do t[i] = list[i] end
      return t
    end

    -- A stand-in for `store` with no fields of its own: with kind "fn" its __index, __newindex
    -- and __len are functions that log each access; with kind "tab" __index and __newindex are
    -- the store itself and __len a function; with kind "call", __len is a callable table.
    local function proxy(kind, store, log, len)
      local mt = {}
      if kind == "fn" then
        mt.__index = function(_, k)
          log[#log + 1] = "get " .. show(k)
          return store[k]
        end
        mt.__newindex = function(_, k, v)
          log[#log + 1] = "set " .. show(k) .. "=" .. show(v)
          store[k] = v
        end
      else
        mt.__index, mt.__newindex = store, store
      end
      local function length()
        log[#log + 1] = "len"
        if len ~= nil then return len end
        return #store
      end
      if kind == "call" then
        mt.__len = setmetatable({}, { __call = function(_, _) return length() end })
      else
        mt.__len = length
      end
      return setmetatable({}, mt)
    end

    -- Builds the table argument of a case: a plain table, or a proxy of each kind.
    local shapes = { "plain", "fn", "tab", "call" }
    local function subject(shape, list, n, len)
      return function(...)
        local extra = pack(...)
        return function()
          local store = copy(list, n)
          local log = {}
          local t = shape == "plain" and store or proxy(shape, store, log, len)
          local args = pack(t, unpack(extra, 1, extra.n))
          return { args = args, tables = { t = t, store = store }, log = log }
        end
      end
    end

    -- Values for integer arguments: edges, convertible strings and floats, and wrong types.
    local positions = {
      -1, 0, 1, 2, 3, 4, 5, 6, maxi, mini, maxi - 1, mini + 1, 2.0, 2.5, "2", "2.0", "x", {}, true, nil,
    }
    local npositions = 20  -- the last entry, nil, is a nil argument

    local lists = {
      { {}, 0 }, { { "a" }, 1 }, { { "a", "b", "c" }, 3 }, { { 10, 20, 30, 40, 50 }, 5 },
      { { "a", nil, "c" }, 3 }, { { 1.5, "x", 3 }, 3 },
    }

    -- ------------------------------------------------------------------ insert
    for _, shape in ipairs(shapes) do
      for li, l in ipairs(lists) do
        local with = subject(shape, l[1], l[2])
        local label = ("insert %s list%d"):format(shape, li)
        check(label .. " (t, v)", "insert", with("v"))
        check(label .. " (t, nil)", "insert", with(nil))
        check(label .. " (t)", "insert", with())
        check(label .. " (t, 1, 2, 3)", "insert", with(1, 2, 3))
        for p = 1, npositions do
          check(label .. " pos " .. show(positions[p]), "insert", with(positions[p], "v"))
          check(label .. " pos " .. show(positions[p]) .. " nil", "insert", with(positions[p], nil))
        end
      end
    end
    -- Whether a call would shift more than a few elements: Lua's own functions would run for
    -- ages, so such cases are left to the budget tests.
    local function endless(len, pos, last)
      return math.type(len) == "integer" and math.type(pos) == "integer" and pos < last
        and (last + 0.0) - pos > 1000
    end
    -- __len at the extremes: a last position that wraps around, negative lengths.
    for _, len in ipairs { maxi, maxi - 1, -1, mini, 2.0, 2.5, "3", "x" } do
      for _, args in ipairs { { "v" }, { 1, "v" }, { maxi, "v" }, { 0, "v" }, { -1, "v" }, { mini, "v" } } do
        local shape = (type(len) == "number" and len > 3) and "tab" or "fn"
        if not (#args == 2 and endless(len, args[1], math.type(len) == "integer" and len + 1)) then
          check("insert len " .. show(len) .. " " .. show(args[1]), "insert",
            subject(shape, { "a" }, 1, len)(unpack(args)))
        end
      end
    end

    -- ------------------------------------------------------------------ remove
    for _, shape in ipairs(shapes) do
      for li, l in ipairs(lists) do
        local with = subject(shape, l[1], l[2])
        local label = ("remove %s list%d"):format(shape, li)
        check(label .. " (t)", "remove", with())
        check(label .. " (t, nil)", "remove", with(nil))
        check(label .. " (t, #t + 1)", "remove", with(l[2] + 1))
        check(label .. " (t, 1, extra)", "remove", with(1, "extra"))
        for p = 1, npositions do
          check(label .. " pos " .. show(positions[p]), "remove", with(positions[p]))
        end
      end
    end
    for _, len in ipairs { maxi, maxi - 1, -1, mini, 0, 2.5 } do
      for _, args in ipairs { {}, { 0 }, { 1 }, { maxi }, { -1 }, { mini } } do
        local shape = (type(len) == "number" and len > 3) and "tab" or "fn"
        if not endless(len, args[1], len) then
          check("remove len " .. show(len) .. " " .. show(args[1]), "remove",
            subject(shape, { "a", "b" }, 2, len)(unpack(args)))
        end
      end
    end

    -- ------------------------------------------------------------------ move
    local source = { "a", "b", "c", "d", "e" }
    local function moving(shape, a2kind)
      return function(...)
        local extra = pack(...)
        return function()
          local log = {}
          local store = copy(source)
          local t = shape == "plain" and store or proxy(shape, store, log)
          local tables = { t = t, store = store }
          local args = pack(t, unpack(extra, 1, extra.n))
          if a2kind == "other" then
            local other = { "x", "y" }
            tables.other = other
            args[5], args.n = other, 5
          elseif a2kind == "otherproxy" then
            local ostore = { "x", "y" }
            local other = proxy("fn", ostore, log)
            tables.other, tables.ostore = other, ostore
            args[5], args.n = other, 5
          elseif a2kind == "same" then
            args[5], args.n = t, 5
          elseif a2kind == "nil" then
            args[5], args.n = nil, 5
          end
          return { args = args, tables = tables, log = log }
        end
      end
    end
    for _, shape in ipairs(shapes) do
      for _, a2 in ipairs { "none", "nil", "same", "other", "otherproxy" } do
        local with = moving(shape, a2)
        for f = -1, 4 do
          for e = -1, 6 do
            for t = -1, 7 do
              if shape == "plain" or (f + e + t) % 3 == 0 then  -- proxies: a third of the grid
                check(("move %s %s (%d, %d, %d)"):format(shape, a2, f, e, t), "move", with(f, e, t))
              end
            end
          end
        end
      end
    end
    local moveEdges = {
      { mini, 0, 1 }, { mini, -1, 1 }, { 0, maxi, 2 }, { 0, maxi - 1, 2 }, { -1, maxi - 2, 2 },
      { 1, 2, maxi }, { 1, 2, maxi - 1 }, { maxi - 1, maxi, 1 }, { maxi, maxi, maxi }, { mini, mini, 1 },
      { mini, mini + 1, -5 }, { 3, 2, maxi }, { 1, maxi, 2 }, { 2, maxi, 3 },
      { mini + 1, 0, 1 }, { mini + 2, 0, 2 },
      { 1.0, 3, 2 }, { 1.5, 3, 2 }, { "1", 3, 2 }, { "x", 3, 2 }, { 1, nil, 2 }, { 1, 3 }, { 1 }, {},
      { 1, 3, 2.5 }, { 1, 3, {} },
    }
    for i, args in ipairs(moveEdges) do
      for _, a2 in ipairs { "none", "other" } do
        check("move edge " .. i .. " " .. a2, "move", moving("plain", a2)(unpack(args, 1, 3)))
      end
    end
    -- Destinations and sources that are not tables, or only partly usable as tables.
    local function withArgs(...)
      local args = pack(...)
      return function() return { args = args, tables = {} } end
    end
    check("move from a string", "move", function()
      local dst = {}
      return { args = pack("abc", 1, 2, 1, dst), tables = { dst = dst } }
    end)
    check("move to a string", "move", withArgs({ 1 }, 1, 1, 1, "abc"))
    check("move to a number", "move", withArgs({ 1 }, 1, 1, 1, 5))
    check("move from nil", "move", withArgs(nil, 1, 1, 1))
    check("move false", "move", withArgs({ 1 }, 1, 1, 1, false))
    -- Whether a2 is a1 is decided with __eq, which is called only when the ranges could overlap.
    for _, range in ipairs { { 1, 3, 2 }, { 2, 4, 1 }, { 1, 3, 5 }, { 1, 3, 3 } } do
      for _, answer in ipairs { true, false } do
        check("move with __eq " .. tostring(answer) .. " " .. concat(range, ","), "move", function()
          local log = {}
          local mt = { __eq = function() log[#log + 1] = "eq" return answer end }
          local a = setmetatable({ "a", "b", "c", "d" }, mt)
          local b = setmetatable({ "w", "x", "y", "z" }, mt)
          return { args = pack(a, range[1], range[2], range[3], b), tables = { a = a, b = b }, log = log }
        end)
      end
    end

    -- ------------------------------------------------------------------ concat
    local concatLists = {
      { {}, 0 }, { { "a" }, 1 }, { { "a", "b", "c" }, 3 }, { { 1, 2.5, "x", 3.0, -0.0, maxi }, 6 },
      { { "a", {}, "c" }, 3 }, { { "a", true }, 2 }, { { "a", nil, "c" }, 3 }, { { 1e100, 2^53, 0.1 }, 3 },
    }
    local seps = { "", ", ", 7, 1.5, {}, false }
    local nseps = 7  -- the last one, nil, is a nil argument
    local ranges = { -1, 0, 1, 2, 3, 4, 6, 7, nil, 2.0, "3", 1.5 }
    for _, shape in ipairs { "plain", "fn", "tab" } do
      for li, l in ipairs(concatLists) do
        local with = subject(shape, l[1], l[2])
        local label = ("concat %s list%d"):format(shape, li)
        check(label, "concat", with())
        for s = 1, nseps do
          check(label .. " sep " .. show(seps[s]), "concat", with(seps[s]))
          for a = 1, 12 do
            for b = 1, 12 do
              if shape == "plain" or (a + b) % 4 == 0 then
                check(("%s sep %s (%s, %s)"):format(label, show(seps[s]), show(ranges[a]), show(ranges[b])),
                  "concat", with(seps[s], ranges[a], ranges[b]))
              end
            end
          end
        end
      end
    end
    check("concat no arguments", "concat", withArgs())
    check("concat a string", "concat", withArgs("abc"))
    check("concat far indices", "concat", withArgs({ [maxi - 1] = "y", [maxi] = "z" }, "-", maxi - 1, maxi))
    check("concat last index", "concat", withArgs({ [maxi] = "z" }, "-", maxi, maxi))
    check("concat first index", "concat", withArgs({ [mini] = "z", [mini + 1] = "y" }, "-", mini, mini + 1))
    check("concat empty at the end", "concat", withArgs({}, "-", maxi, maxi - 1))
    check("concat empty at the start", "concat", withArgs({}, "-", mini + 1, mini))
    check("concat invalid far index", "concat", withArgs({ [2^40] = {} }, "-", 2^40, 2^40))
    check("concat invalid negative index", "concat", withArgs({ [-3] = false }, "-", -3, -3))
    check("concat invalid last", "concat", withArgs({ [maxi] = {} }, "", maxi, maxi))
    check("concat invalid with __name", "concat", withArgs({ "a", setmetatable({}, { __name = "Thing" }) }))
    check("concat invalid function", "concat", withArgs({ "a", print }, ","))
    do
      local long = {}
      for i = 1, 10000 do long[i] = i % 7 == 0 and i or ("s" .. i) end
      check("concat long", "concat", withArgs(long, "|"))
      check("concat long range", "concat", withArgs(long, "", 5000, 9999))
    end
    check("concat __len error", "concat", function()
      local t = setmetatable({}, { __len = function() error("no length") end })
      return { args = pack(t), tables = {} }
    end)
    check("concat __index error", "concat", function()
      local t = setmetatable({}, { __len = function() return 3 end, __index = function(_, k)
        if k == 2 then error("no " .. k) end
        return "v" .. k
      end })
      return { args = pack(t, ","), tables = {} }
    end)

    -- ------------------------------------------------------------------ rep
    local repStrings = { "", "a", "abc", "\0x\0", 12, 1.5, {}, nil }
    local repCounts = { -1, 0, 1, 2, 3, 10, 1000, 2.0, "3", 1.5, "x", mini, nil }
    local repSeps = { "", ",", "--", 7, {}, nil }
    for si = 1, 8 do
      for ni = 1, 13 do
        for pi = 1, 6 do
          check(("rep (%s, %s, %s)"):format(show(repStrings[si]), show(repCounts[ni]), show(repSeps[pi])),
            "rep", withArgs(repStrings[si], repCounts[ni], repSeps[pi]))
        end
        check(("rep (%s, %s)"):format(show(repStrings[si]), show(repCounts[ni])), "rep",
          withArgs(repStrings[si], repCounts[ni]))
      end
    end
    check("rep ()", "rep", withArgs())
    -- Lua 5.4 refuses results over INT_MAX bytes, counting n separators.
    for _, args in ipairs {
      { "x", 1 << 31 }, { "xx", 1 << 30 }, { "x", maxi }, { "x", 1 << 30, "x" }, { "", 1 << 31, "x" },
      { "abc", maxi, "" }, { "x", (1 << 31) - 1, "x" }, { real.rep("x", 1000), 1 << 22 },
    } do
      check("rep too large " .. show(args[1]:sub(1, 5)) .. " " .. args[2], "rep", withArgs(unpack(args)))
    end
    check("rep empty many", "rep", withArgs("", 1000000))
    check("rep empty many with separator", "rep", withArgs("", 100000, ","))
    check("rep separator only", "rep", withArgs("", 5, "ab"))
    check("rep long", "rep", withArgs("abcdefg", 300000, "hi"))
    check("rep long unit", "rep", withArgs(real.rep("0123456789", 150000), 5, "::"))

    -- ------------------------------------------------------------------ argument forms
    for _, name in ipairs { "insert", "remove", "concat", "sort" } do
      for _, v in ipairs { 5, "abc", true } do
        check(name .. " on a " .. type(v), name, withArgs(v, 1))
      end
      check(name .. " with no arguments", name, withArgs())
      check(name .. " on nil", name, withArgs(nil, 1))
    end
    -- Non-tables with metatables: accepted when the metatable has the fields needed.
    local fieldSets = {
      { "__index", "__newindex", "__len" }, { "__index", "__len" }, { "__newindex", "__len" },
      { "__index", "__newindex" }, { "__len" }, {},
    }
    for _, fields in ipairs(fieldSets) do
      for _, call in ipairs {
        { "insert", { "v" } }, { "insert", { 1, "v" } }, { "remove", {} }, { "remove", { 1 } },
        { "concat", { "," } }, { "sort", {} }, { "move", { 1, 2, 2 } },
      } do
        check(("%s on a boolean with %s"):format(call[1], concat(fields, ",")), call[1], function()
          local store = { "b", "a" }
          local mt = { __name = "flag" }
          for _, f in ipairs(fields) do
            if f == "__len" then mt.__len = function() return #store end else mt[f] = store end
          end
          debug.setmetatable(true, mt)
          return { args = pack(true, unpack(call[2])), tables = { store = store } }
        end)
        debug.setmetatable(true, nil)
      end
    end
    -- A field that is present but false passes the check; using it fails.
    check("insert with __index false", "insert", function()
      local t = setmetatable({}, { __index = false, __newindex = {}, __len = function() return 2 end })
      return { args = pack(t, 1, "v"), tables = {} }
    end)
    -- Method calls (t:insert(...)): argument numbers in messages shift by one.
    for impl in pairs(invokeMethod) do
      -- obj:insert(...) needs the function as a field of the object; route both through the same name.
      for _, name in ipairs { "insert", "remove", "concat", "move", "sort" } do
        local f = (impl == "real" and real or mine)[name]
        local m = invokeMethod[impl][name]
        invokeMethod[impl][name] = function(obj, ...)
          getmetatable(obj).__index[name] = f
          return m(obj, ...)
        end
      end
    end
    for _, name in ipairs { "insert", "remove", "concat", "move", "sort" } do
      for _, args in ipairs { {}, { "x" }, { 1, "v" }, { 9, "v" }, { 1, 2, 1 }, { "a", "b", "c" } } do
        check(name .. " method call " .. #args, name, function()
          local t = setmetatable({ "a", "b" }, { __index = {} })
          return { args = pack(t, unpack(args)), tables = { t = t } }
        end, true)
      end
    end

    -- ------------------------------------------------------------------ sort
    -- Sorted results are compared, not the order of comparisons: the algorithms differ.
    local function sortOutcome(impl, build)
      local env = build()
      local ok, err = pcall(invoke[impl].sort, unpack(env.args, 1, env.args.n))
      return ok, err, env
    end

    local function checkSort(label, build, opts)
      opts = opts or {}
      cases = cases + 1
      local okA, errA, envA = sortOutcome("real", build)
      local okB, errB, envB = sortOutcome("mine", build)
      local function state(env)
        local names = {}
        for k, t in pairs(env.tables or {}) do names[t] = k end
        local parts = {}
        local keys = {}
        for k in pairs(env.tables or {}) do keys[#keys + 1] = k end
        sort(keys)
        for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. dump(env.tables[k], names) end
        return concat(parts, "; ")
      end
      local function multiset(env)
        local items = {}
        for _, v in next, env.tables.store do items[#items + 1] = show(v) end
        sort(items)
        return concat(items, ",")
      end
      if opts.inconsistent then
        -- No crash, and the list still holds what it held (checked for ours; Lua's own keeps it too).
        local before = multiset(build())
        if multiset(envB) ~= before then fail(label .. " (lost elements)", before, multiset(envB)) end
        if okB == false and type(errB) ~= "string" then fail(label, tostring(errA), tostring(errB)) end
        return
      end
      if opts.compareError then
        -- Which pair is compared first differs between the algorithms; only the kind of error must agree.
        local a = okA and "ok" or tostring(errA):match(opts.compareError) and "error" or tostring(errA)
        local b = okB and "ok" or tostring(errB):match(opts.compareError) and "error" or tostring(errB)
        if a ~= b then fail(label, a, b) end
        local contentsA, contentsB = multiset(envA), multiset(envB)
        if contentsA ~= contentsB then fail(label .. " (contents)", contentsA, contentsB) end
        return
      end
      local contents = opts.ties and multiset or state
      local a = (okA and "ok" or "error " .. show(errA)) .. "; " .. contents(envA)
      local b = (okB and "ok" or "error " .. show(errB)) .. "; " .. contents(envB)
      if a ~= b then fail(label, a, b) end
      if opts.ties and okB then
        -- Ties may end up in either order: check that ours is sorted by the order function.
        local t, less = envB.tables.store, envB.args[2] or function(a, b) return a < b end
        for i = 2, #t do
          if less(t[i], t[i - 1]) then
            fail(label .. " (not sorted)", "", show(i))
            break
          end
        end
      end
    end

    local function sorting(shape, list, n, ...)
      local extra = pack(...)
      return function()
        local store = copy(list, n)
        local log = {}
        local t = shape == "plain" and store or proxy(shape, store, log)
        return { args = pack(t, unpack(extra, 1, extra.n)), tables = { store = store } }
      end
    end

    local function greater(a, b) return a > b end
    local function randomList(n, range, kind)
      local t = {}
      for i = 1, n do
        local v = math.random(range)
        if kind == "string" then v = ("k%05d"):format(v)
        elseif kind == "float" then v = v / 4
        elseif kind == "mixed" then v = (v % 2 == 0) and v or v + 0.5 end
        t[i] = v
      end
      return t
    end
    local function patterned(n, pattern)
      local t = {}
      for i = 1, n do
        if pattern == "sorted" then t[i] = i
        elseif pattern == "reversed" then t[i] = n - i
        elseif pattern == "equal" then t[i] = 7
        elseif pattern == "organ" then t[i] = math.min(i, n - i)
        elseif pattern == "sawtooth" then t[i] = i % 17
        elseif pattern == "nearly" then t[i] = (i % 50 == 0) and -i or i
        elseif pattern == "twovalues" then t[i] = i % 2 end
      end
      return t
    end

    math.randomseed(20240521)
    for _, shape in ipairs(shapes) do
      for n = 0, 40 do
        local t = randomList(n, 50)
        checkSort(("sort %s random %d"):format(shape, n), sorting(shape, t, n))
        checkSort(("sort %s random %d greater"):format(shape, n), sorting(shape, t, n, greater))
      end
    end
    for _, n in ipairs { 50, 100, 101, 255, 1000, 4097, 20000 } do
      for _, kind in ipairs { "int", "string", "float", "mixed" } do
        local t = randomList(n, kind == "int" and n * 4 or n, kind)
        checkSort(("sort random %s %d"):format(kind, n), sorting("plain", t, n))
        checkSort(("sort random %s %d greater"):format(kind, n), sorting("plain", t, n, greater))
      end
      checkSort("sort duplicates " .. n, sorting("plain", randomList(n, 5), n))
      for _, pattern in ipairs { "sorted", "reversed", "equal", "organ", "sawtooth", "nearly", "twovalues" } do
        local t = patterned(n, pattern)
        checkSort(("sort %s %d"):format(pattern, n), sorting("plain", t, n))
        checkSort(("sort %s %d greater"):format(pattern, n), sorting("plain", t, n, greater))
        if n <= 1000 then checkSort(("sort %s %d via fn proxy"):format(pattern, n), sorting("fn", t, n)) end
      end
    end
    -- Comparators that see ties between distinct values: only sortedness and contents compare.
    for _, n in ipairs { 5, 13, 30, 200, 3000 } do
      local records = {}
      for i = 1, n do records[i] = { key = math.random(n // 3 + 1), id = i } end
      local byKey = function(a, b) return a.key < b.key end
      checkSort("sort records by key " .. n, sorting("plain", records, n, byKey), { ties = true })
      local words = randomList(n, 40, "string")
      checkSort("sort strings by last digit " .. n,
        sorting("plain", words, n, function(a, b) return a:sub(-1) < b:sub(-1) end), { ties = true })
    end
    -- __lt metamethods, comparisons through proxies' values.
    for _, n in ipairs { 2, 3, 12, 13, 100 } do
      local mt = { __lt = function(a, b) return a.v < b.v end }
      local objs = {}
      for i = 1, n do objs[i] = setmetatable({ v = (i * 7919) % 101 }, mt) end
      checkSort("sort __lt " .. n, sorting("plain", objs, n), { ties = true })
    end
    -- Argument errors and the lengths that skip them.
    checkSort("sort no arguments", function() return { args = pack(), tables = { store = {} } } end)
    checkSort("sort a number", function() return { args = pack(5), tables = { store = {} } } end)
    for _, cmp in ipairs { 5, "f", {}, true, false } do
      checkSort("sort bad comparator " .. show(cmp), sorting("plain", { 3, 1, 2 }, 3, cmp))
      checkSort("sort bad comparator, one element " .. show(cmp), sorting("plain", { 3 }, 1, cmp))
      checkSort("sort bad comparator, empty " .. show(cmp), sorting("plain", {}, 0, cmp))
    end
    checkSort("sort nil comparator", sorting("plain", { 3, 1, 2 }, 3, nil))
    for _, len in ipairs { (1 << 31) - 1, 1 << 31, maxi, 2.5, -5, 1, 0 } do
      checkSort("sort len " .. show(len), function()
        local store = { 3, 1, 2 }
        local t = setmetatable({}, { __len = function() return len end, __index = store, __newindex = store })
        return { args = pack(t), tables = { store = store } }
      end)
    end
    -- Errors while sorting: values that cannot be compared, an order function that raises.
    for _, list in ipairs {
      { 1, "x" }, { 3, 2, {} }, { 1, 2, 3, nil, 5 },
      { "a", "b", 1, "c", "d", 2, "e", "f", 3, "g", "h", 4, "i", "j" },
    } do
      local n = 0
      for k in pairs(list) do n = math.max(n, k) end
      checkSort("sort incomparable " .. n, sorting("plain", list, n), { compareError = "^attempt to compare" })
    end
    for _, after in ipairs { 1, 5, 50, 500 } do
      for _, n in ipairs { 10, 100, 1000 } do
        local list = randomList(n, n)
        checkSort(("sort comparator raises after %d, %d"):format(after, n), function()
          local calls = 0
          local store = copy(list)
          local cmp = function(a, b)
            calls = calls + 1
            if calls > after then error("enough") end
            return a < b
          end
          return { args = pack(store, cmp), tables = { store = store } }
        end, { compareError = "enough$" })
      end
    end
    -- Inconsistent order functions: each either finishes or raises, and loses nothing.
    local inconsistent = {
      always = function() return true end,
      never = function() return false end,
      lessOrEqual = function(a, b) return a <= b end,
      coin = function() return math.random(2) == 1 end,
      cycle = function(a, b) return (a - b) % 3 == 1 end,
    }
    for name, cmp in pairs(inconsistent) do
      for _, n in ipairs { 2, 3, 4, 5, 12, 13, 14, 50, 100, 1000, 5000 } do
        local t = randomList(n, 20)
        local label = ("sort inconsistent %s %d"):format(name, n)
        checkSort(label, sorting("plain", t, n, cmp), { inconsistent = true })
        checkSort(label .. " equal", sorting("plain", patterned(n, "equal"), n, cmp), { inconsistent = true })
      end
    end

    -- ------------------------------------------------------------------ random cases
    math.randomseed(7)
    local pool = { "a", "b", "c", 1, 2, 3, 4.5, -1, 0, "", "xy", 10, 2^53 }
    local intPool = { -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, maxi, mini, 1.0, 3.0, "2", 0.5, "z", {} }
    local function pick(t) return t[math.random(#t)] end
    -- Random arguments; `small` leaves out the extreme integers, with which move and rep could
    -- run for ages (move's range, rep's count of empty strings).
    local smallPool = { -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1.0, 3.0, "2", 0.5, "z", {} }
    local function randomArgs(n, small)
      local args = {}
      for i = 1, n do
        local r = math.random(10)
        args[i] = r <= 7 and pick(small and smallPool or intPool) or r <= 9 and pick(pool) or nil
      end
      return pack(unpack(args, 1, n))
    end
    for i = 1, 4000 do
      local n = math.random(0, 9)
      local list = {}
      for k = 1, n do list[k] = pick(pool) end
      if math.random(6) == 1 and n > 0 then list[math.random(n)] = nil end  -- a hole
      local shape = pick(shapes)
      local op = pick {
        "insert", "insert", "remove", "remove",
        "move", "move", "concat", "concat", "rep", "sort",
      }
      local args
      if op == "insert" then
        args = math.random(3) == 1 and pack(pick(pool)) or pack(math.random(-1, n + 2), pick(pool))
        if math.random(8) == 1 then args = randomArgs(math.random(0, 3)) end
      elseif op == "remove" then
        args = math.random(3) == 1 and pack() or pack(math.random(-1, n + 2))
        if math.random(8) == 1 then args = randomArgs(math.random(0, 2)) end
      elseif op == "move" then
        args = pack(math.random(-2, n + 2), math.random(-2, n + 2), math.random(-2, n + 4))
        if math.random(8) == 1 then args = randomArgs(math.random(0, 3), true) end
      elseif op == "concat" then
        local sep = pick { "", ",", "--", 5 }
        args = math.random(3) == 1 and pack(sep) or pack(sep, math.random(-1, n + 2), math.random(-1, n + 2))
        if math.random(8) == 1 then args = randomArgs(math.random(0, 3)) end
      elseif op == "rep" then
        local s = pick { "", "a", "xyz", 7, "\0" }
        args = pack(s, math.random(-2, 30), pick { "", ",", "::", nil })
        if math.random(8) == 1 then args = randomArgs(math.random(0, 3), true) end
      end
      local label = ("random %d %s %s n=%d"):format(i, op, shape, n)
      if op == "rep" then
        check(label, "rep", withArgs(unpack(args, 1, args.n)))
      elseif op == "sort" then
        local numbers = {}
        for k = 1, n do numbers[k] = math.random(-5, 5) * 1.5 end
        checkSort(label, sorting(shape, numbers, n, math.random(2) == 1 and greater or nil))
      elseif op == "move" and math.random(3) == 1 then
        local a2 = pick { "other", "otherproxy", "same" }
        check(label .. " " .. a2, "move", moving(shape, a2)(unpack(args, 1, args.n)))
      else
        check(label, op, subject(shape, list, n)(unpack(args, 1, args.n)))
      end
    end

    if #failures > 0 then
      error(("%d of %d cases differ:\n%s"):format(#failures, cases, concat(failures, "\n")), 0)
    end
    return cases
    """#

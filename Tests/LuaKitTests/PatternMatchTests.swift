import CLua
import Testing

/// The C replacements for string.find, string.match, string.gmatch and string.gsub
/// (Sources/CLua/clua_strlib.h): the same results as Lua 5.4's own, and a call that the time
/// budget can stop.
@Suite("Pattern matching under the time budget")
struct PatternMatchTests {
    @Test func everyResultMatchesLuasOwnStringLibrary() {
        let state = RawState(milliseconds: 600_000)
        let (ok, values) = state.run(differentialScript, name: "=differential")
        #expect(ok, "\(values)")
        guard ok, values.count == 5, let compared = Int(values[0]), let raised = Int(values[1]),
            let random = Int(values[2]), let disagreements = Int(values[3])
        else {
            Issue.record("unexpected results \(values)")
            return
        }
        print(
            "PatternMatch: \(compared) cases compared against Lua's string library (\(random) random, "
                + "\(raised) raising the same error in both), \(disagreements) disagreements")
        #expect(disagreements == 0, "\(values[4])")
        #expect(compared > 60_000)
    }

    static let pathological: [(String, String)] = [
        ("find with nested greedy quantifiers", #"return my_find(("a"):rep(30000), ("a*"):rep(12) .. "b")"#),
        ("match with nested lazy quantifiers", #"return my_match(("a"):rep(30000), ("a-"):rep(12) .. "b")"#),
        ("gmatch", #"for _ in my_gmatch(("a"):rep(30000), ("a*"):rep(12) .. "b") do end"#),
        ("gsub", #"return my_gsub(("a"):rep(30000), ("a*"):rep(12) .. "b", "")"#),
        ("%b scanning to the end from every position", #"return my_find(("("):rep(300000), "%b()")"#),
        ("a back-reference compared at every split", #"return my_find(("a"):rep(100000), "(a*)%1b")"#),
        ("'.-' from every position", #"return my_find(("a"):rep(300000), ".-b")"#),
    ]

    @Test("a pathological match is stopped by the time budget", arguments: pathological)
    func pathologicalMatchIsStopped(name: String, source: String) {
        let state = RawState(milliseconds: 200)
        let clock = ContinuousClock()
        state.startBudget(milliseconds: 200)
        let start = clock.now
        let (ok, values) = state.run(source)
        let elapsed = clock.now - start
        #expect(!ok, "\(name) returned \(values)")
        #expect(values == ["time budget of 200 ms exhausted"], "\(name)")
        #expect(elapsed < .seconds(1), "\(name) took \(elapsed)")
        print("PatternMatch: \(name) stopped after \(elapsed)")
    }

    @Test func aLongPlainSearchIsLinear() {
        let state = RawState(milliseconds: 10_000)
        let (made, _) = state.run("subject = ('a'):rep(4 << 20) needle = ('a'):rep((2 << 20) - 1) .. 'b'")
        #expect(made)
        let searches: [(String, [String])] = [
            ("return my_find(subject, needle, 1, true)", ["nil"]),
            ("return my_find(subject, needle)", ["nil"]),  // no specials: the same plain search
            ("return my_find(subject .. 'b', needle, 1, true)", ["2097154", "4194305"]),
            ("return my_find(subject, 'b', 1, true)", ["nil"]),
        ]
        let clock = ContinuousClock()
        for (source, expected) in searches {
            state.startBudget(milliseconds: 1000)
            let start = clock.now
            let (ok, values) = state.run(source)
            let elapsed = clock.now - start
            #expect(ok && values == expected, "\(source): \(values)")
            #expect(elapsed < .milliseconds(500), "\(source) took \(elapsed)")
            print("PatternMatch: \(source) took \(elapsed)")
        }
    }

    /// Function, arguments (a Lua expression list), and every value the call leaves: its results,
    /// or its error message.
    static let calls: [(String, String, Bool, [String])] = [
        ("find", "'hello world', 'o w'", true, ["5", "7"]),
        ("find", "'hello world', '(o)%s(w)'", true, ["5", "7", "o", "w"]),
        ("find", "'hello world', '()o()', 6", true, ["8", "8", "8", "9"]),
        ("find", "'hello', 'x'", true, ["nil"]),
        ("find", "'hello', 'l', 10", true, ["nil"]),
        ("find", "'hello', '.', 1, true", true, ["nil"]),
        ("match", "'key=value', '(%w+)=(%w+)'", true, ["key", "value"]),
        ("match", "'hello', 'l+'", true, ["ll"]),
        ("match", "'hello', 'x'", true, ["nil"]),
        ("gsub", "'abc', '%w', '%0%0'", true, ["aabbcc", "3"]),
        ("gsub", "'abc', 'x', 'y'", true, ["abc", "0"]),
        ("gsub", "'abc', '%w', { a = 1, b = false }", true, ["1bc", "3"]),  // kept matches count too
        ("gsub", "'abc', '%w', function(c) if c ~= 'b' then return c:upper() end end", true, ["AbC", "3"]),
        ("gsub", "'abc', '', '-', 2", true, ["-a-bc", "2"]),
        ("find", "'abc', '[a'", false, ["malformed pattern (missing ']')"]),
        ("match", "'a', 'a%'", false, ["malformed pattern (ends with '%')"]),
        ("match", "'a', '%fa'", false, ["missing '[' after '%f' in pattern"]),
        ("find", "'a', '%1'", false, ["invalid capture index %1"]),
        ("match", "'a', ')'", false, ["invalid pattern capture"]),  // find would search for ')' as text
        ("find", "'a', '(a'", false, ["unfinished capture"]),
        ("find", "('a'):rep(300), ('a?'):rep(300)", false, ["pattern too complex"]),
        ("find", "'a', ('()'):rep(33)", false, ["too many captures"]),
        ("gsub", "'abc', '%w', function() return {} end", false, ["invalid replacement value (a table)"]),
        ("gsub", "'abc', '%w', function() error('boom', 0) end", false, ["boom"]),
        ("gsub", "'abc', '(', '%1'", false, ["unfinished capture"]),
        ("gsub", "'abc', '%w', '%2'", false, ["invalid capture index %2"]),
        ("gsub", "'abc', '%w', '%x'", false, ["invalid use of '%' in replacement string"]),
        (
            "gsub", "'abc', '%w'", false,
            ["bad argument #3 to 'my_gsub' (string/function/table expected, got no value)"]
        ),
        ("find", "'abc', 'b', 'x'", false, ["bad argument #3 to 'my_find' (number expected, got string)"]),
        ("gmatch", "nil, 'a'", false, ["bad argument #1 to 'my_gmatch' (string expected, got nil)"]),
    ]

    @Test("a call leaves its results, or its error, and nothing else", arguments: calls)
    func stackIsBalanced(function: String, arguments: String, succeeds: Bool, expected: [String]) {
        let state = RawState(milliseconds: 10_000)
        let (ok, values) = state.call(function, arguments)
        #expect(ok == succeeds)
        #expect(values == expected)
    }

    @Test func theGmatchIteratorLeavesOnlyItsCaptures() {
        let state = RawState(milliseconds: 10_000)
        let top = lua_gettop(state.L)
        let (made, _) = state.call("gmatch", "'k=v, a=b', '(%w+)=(%w+)'", keep: true)
        #expect(made)
        #expect(lua_gettop(state.L) == top + 1)
        #expect(state.callTop() == (true, ["k", "v"]))
        #expect(state.callTop() == (true, ["a", "b"]))
        #expect(state.callTop() == (true, []))
        #expect(lua_gettop(state.L) == top + 1)
        clua_pop(state.L, 1)

        let (madeBroken, _) = state.call("gmatch", "'abc', '('", keep: true)
        #expect(madeBroken)
        #expect(state.callTop() == (false, ["unfinished capture"]))
        clua_pop(state.L, 1)
        #expect(lua_gettop(state.L) == top)
    }
}

/// A bare state made by clua_newstate (the functions poll its budget), with the stock
/// libraries and the four replacements as globals my_find, my_match, my_gmatch and my_gsub.
private final class RawState {
    let L: OpaquePointer
    let budget: UnsafeMutablePointer<clua_budget>

    static let functions: [String: lua_CFunction] = [
        "find": clua_str_find, "match": clua_str_match, "gmatch": clua_str_gmatch, "gsub": clua_str_gsub,
    ]

    init(milliseconds: UInt64) {
        budget = .allocate(capacity: 1)
        budget.initialize(to: clua_budget())
        L = clua_newstate(budget)!
        luaL_openlibs(L)
        for (name, function) in RawState.functions {
            clua_pushcfunction(L, function)
            lua_setglobal(L, "my_" + name)
        }
        startBudget(milliseconds: milliseconds)
    }

    deinit {
        lua_close(L)
        budget.deinitialize(count: 1)
        budget.deallocate()
    }

    /// A fresh deadline, as LuaKit sets one for each call. No count hook is armed: only the
    /// functions' own polling can stop them.
    func startBudget(milliseconds: UInt64) {
        budget.pointee.expired = Int32(CLUA_EXPIRED_NONE)
        budget.pointee.timeout_ms = milliseconds
        budget.pointee.deadline_ns = clua_now_ns() + milliseconds * 1_000_000
    }

    /// Runs a chunk in protected mode; returns whether it succeeded and its results (or the
    /// error message) as text, and checks it left the stack as it found it.
    func run(
        _ source: String, name: String = "=test", sourceLocation: SourceLocation = #_sourceLocation
    ) -> (ok: Bool, values: [String]) {
        let top = lua_gettop(L)
        var status = clua_loadtext(L, source, source.utf8.count, name)
        if status == LUA_OK { status = lua_pcallk(L, 0, LUA_MULTRET, 0, 0, nil) }
        let values = take(above: top)
        #expect(lua_gettop(L) == top, "stack not balanced", sourceLocation: sourceLocation)
        return (status == LUA_OK, values)
    }

    /// Calls one of the four C functions directly, in protected mode, with the values a Lua
    /// expression list gives. Returns every value the call left above the stack's previous top
    /// (its results, or its error message: callers compare the whole list, so one value too many
    /// or too few shows) and checks that popping them restores the top; with `keep` a single
    /// result stays on the stack.
    func call(
        _ function: String, _ arguments: String, keep: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> (ok: Bool, values: [String]) {
        let top = lua_gettop(L)
        clua_pushcfunction(L, RawState.functions[function]!)
        let source = "return " + arguments
        guard clua_loadtext(L, source, source.utf8.count, "=arguments") == LUA_OK,
            lua_pcallk(L, 0, LUA_MULTRET, 0, 0, nil) == LUA_OK
        else {
            Issue.record("bad arguments \(arguments)", sourceLocation: sourceLocation)
            lua_settop(L, top)
            return (false, [])
        }
        let status = lua_pcallk(L, lua_gettop(L) - top - 1, LUA_MULTRET, 0, 0, nil)
        if keep && status == LUA_OK && lua_gettop(L) == top + 1 { return (true, []) }
        let values = take(above: top)
        #expect(lua_gettop(L) == top, "stack not balanced", sourceLocation: sourceLocation)
        return (status == LUA_OK, values)
    }

    /// Calls the function on top of the stack (a gmatch iterator) without arguments, leaving the
    /// function where it was.
    func callTop(sourceLocation: SourceLocation = #_sourceLocation) -> (Bool, [String]) {
        let top = lua_gettop(L)
        lua_pushvalue(L, -1)
        let status = lua_pcallk(L, 0, LUA_MULTRET, 0, 0, nil)
        let values = take(above: top)
        #expect(lua_gettop(L) == top, "stack not balanced", sourceLocation: sourceLocation)
        return (status == LUA_OK, values)
    }

    /// The values above `top` as text; pops exactly those.
    private func take(above top: Int32) -> [String] {
        var values: [String] = []
        let end = lua_gettop(L)
        for index in stride(from: top + 1, through: end, by: 1) {
            var length = 0
            let text = luaL_tolstring(L, index, &length)!
            values.append(
                String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
            clua_pop(L, 1)
        }
        clua_pop(L, end - top)
        return values
    }
}

/// Compares string.find, string.match, string.gmatch and string.gsub with my_find, my_match,
/// my_gmatch and my_gsub over a large table of cases and 5000 random subject/pattern pairs:
/// every result, the count from gsub, every gmatch iteration, and the message of every error.
private let differentialScript = #"""
    -- Every case runs through string.* and my_*; every result must agree. Returns the number of
    -- cases compared, how many of them raised (the same error in both), how many were random, the
    -- number of disagreements and the first few of them.
    local real = { find = string.find, match = string.match, gmatch = string.gmatch, gsub = string.gsub }
    local mine = { find = my_find, match = my_match, gmatch = my_gmatch, gsub = my_gsub }
    local pack, unpack, fmt, concat = table.pack, table.unpack, string.format, table.concat
    local rgsub = string.gsub

    -- Argument errors name the function as Lua found it: 'string.find' or 'my_find'.
    local function norm(msg)
      if type(msg) ~= 'string' then return msg end
      msg = rgsub(msg, "'string%.(%a+)'", "'%1'")
      msg = rgsub(msg, "'my_(%a+)'", "'%1'")
      return msg
    end

    local function show(v, depth)
      depth = depth or 0
      if type(v) == 'string' then return (rgsub(fmt('%q', v), '\n', 'n')) end
      if type(v) ~= 'table' then return tostring(v) .. (math.type(v) == 'float' and '(float)' or '') end
      if depth > 3 then return '{...}' end
      local parts = {}
      for i = 1, (v.n or #v) do parts[#parts + 1] = show(v[i], depth + 1) end
      return '{' .. concat(parts, ', ') .. '}'
    end

    -- Deep equality; integers and floats differ.
    local function same(a, b)
      if type(a) ~= type(b) then return false end
      if type(a) == 'number' then return math.type(a) == math.type(b) and a == b end
      if type(a) ~= 'table' then return a == b end
      if (a.n or #a) ~= (b.n or #b) then return false end
      for i = 1, (a.n or #a) do
        if not same(a[i], b[i]) then return false end
      end
      return true
    end

    -- One call's outcome: {true, results...} or {false, message}, with n.
    local function outcome(ok, ...)
      if not ok then return pack(false, norm((...))) end
      return pack(true, ...)
    end

    -- gmatch's outcome: every iteration, until the iterator returns nothing or raises.
    local function iterate(gmatch, args)
      local ok, it = pcall(gmatch, unpack(args, 1, args.n))
      if not ok then return pack(false, norm(it)) end
      local steps = { n = 0 }
      for _ = 1, 10000 do
        local r = pack(pcall(it))
        steps.n = steps.n + 1
        steps[steps.n] = outcome(unpack(r, 1, r.n))
        if not r[1] or r.n == 1 then break end
      end
      return steps
    end

    local function run(lib, name, args)
      if name == 'gmatch' then return iterate(lib.gmatch, args) end
      return outcome(pcall(lib[name], unpack(args, 1, args.n)))
    end

    local compared, raised, failures = 0, 0, {}
    local function check(name, ...)
      local args = pack(...)
      local want, got = run(real, name, args), run(mine, name, args)
      compared = compared + 1
      if want[1] == false then raised = raised + 1 end
      if not same(want, got) then
        failures[#failures + 1] =
          fmt('%s(%s): want %s, got %s', name, show(args):sub(2, -2), show(want), show(got))
      end
    end

    -- All four functions on one subject and pattern.
    local function all(s, p, ...)
      check('find', s, p, ...)
      check('match', s, p, ...)
      check('gmatch', s, p, ...)
      check('gsub', s, p, '<%0>')
      check('gsub', s, p, function(...) return '{' .. concat({ ... }, '|') .. '}' end)
    end

    -- Replacement functions and tables.
    local function echo(...)
      local t, parts = pack(...), {}
      for i = 1, t.n do parts[i] = tostring(t[i]) .. '/' .. (math.type(t[i]) or type(t[i])) end
      return '[' .. concat(parts, ',') .. ']'
    end
    local function keep_some(x)
      if x == 'a' then return false elseif x == 'b' then return nil elseif x == 'c' then return 42 end
      return x:upper()
    end
    local function bad_table() return {} end
    local function bad_true() return true end
    local function raises() error('boom', 0) end
    local lookup = setmetatable({ a = 'A', b = false, ab = 'AB', [1] = 'one', [2] = 2.5 },
      { __index = function(_, k) if k == 'z' then return 'ZED' end end })

    -- Every class, plain and complemented, alone and in sets, over all 256 bytes.
    local bytes = {}
    for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
    bytes = concat(bytes)
    for _, c in ipairs({ 'a', 'c', 'd', 'g', 'l', 'p', 's', 'u', 'w', 'x', 'z' }) do
      for _, cls in ipairs({ '%' .. c, '%' .. c:upper() }) do
        check('gsub', bytes, cls, '')
        check('gsub', bytes, cls .. '+', '<%0>')
        check('gsub', bytes, '[' .. cls .. ']', '.')
        check('gsub', bytes, '[^' .. cls .. ']', '.')
        check('gsub', bytes, '[_' .. cls .. '-]', '.')
        check('find', bytes, cls, 100)
        check('gmatch', bytes, cls .. '+')
      end
    end
    check('gsub', bytes, '.', function(c) return fmt('%02x', c:byte()) end)
    check('gsub', bytes, '[\1-\127]+', '')
    check('gsub', bytes, '[\128-\255]', '%%')

    -- Escaped non-letters, and letters that are not classes, stand for themselves.
    local escapes = { '%.', '%%', '%[', '%]', '%(', '%)', '%-', '%*', '%+', '%?', '%^', '%$', '%b', '%q', '%\0',
      '%\255', '% ', '%f', '%B' }
    for _, e in ipairs(escapes) do
      all('a.%[]()-*+?^$zZbBfq\0\255 x', e)
      all('a.%[]()-*+?^$zZbBfq\0\255 x', e .. '+')
    end

    local subjects = {
      '', 'a', 'aaa', 'abc', 'hello world', 'hello  world from Lua', '  spaces  ', 'a,b,,c', 'x = 1, y = 22, z = 333',
      'THE (quick) fox', 'f(a(b)c)d)', '((()))', ')(', '[[x]]', 'key=value; k2=v2', '\0a\0b\0', 'caf\xc3\xa9 \xff\xfe',
      'aaab', 'abababab', 'abcabcabc', '2024-01-02', '$10.00 + 5%', 'one\ntwo\nthree', 'AbC dEf', 'a.b.c', '---',
      'ab12cd34', '   ', 'x', 'xyzzy', '%d', 'a-b-c', '^a^b', 'a$b$',
    }
    local patterns = {
      '', 'a', 'b', 'ab', 'xyz', '.', '..', '.-', '.*', '.+', '.?', 'a*', 'a+', 'a-', 'a?', 'a*b', 'a-b', 'a+b',
      'a?b', '^a', '^a*', '^', '$', '^$', 'a$', 'c$', '^abc$', 'b$c', 'a^', '%a+', '%A+', '%d+', '%D', '%s+', '%S+',
      '%w+', '%W', '%l+', '%u+', '%p', '%P+', '%x+', '%c', '%g+', '[abc]', '[^abc]', '[a-c]+', '[%a_][%w_]*',
      '[%d.]+', '[]]', '[^]]+', '[a-]', '[-a]', '[%-]', '[a%-z]', '[%]]', '[]-a]', '[!-/]+', '[^%s]+', '[%z]',
      '[\0-\31]', '[\128-\255]+', '[z-a]', '[a-a]', '(a)', '(a*)', '(a)(b)', '((a)(b))', '(.)%1', '(a+)%1',
      '(%w+)=(%w+)', '()', '()a()', '(a)()', '()(.-)()', '(()', '%b()', '%b((', '%b)(', '%bxy', '%b[]', '(%b())',
      '%f[%w]%w+', '%f[%W]', '%f[%a]', '%f[^%z]', '%f[%z]', '%f[a]', '%f[^\0]', '%f[%l]%a', '%f[]]', '%f[^]]',
      '%d%d%d%d%-%d%d%-%d%d', '(%d+)-(%d+)-(%d+)', '%$(%d+)%.(%d+)', '\0', '%z', '\0.', '[\0]', '[%w%p]+', 'o w',
      'l+', 'l-o', '(l)(l)', '.-(%w+)', '(.-),', '([^,]*)', '[^,]*', ',', '%s*', '%s-', ' *', '\n', '[^\n]+',
      '(h)(e)(l)(l)(o)', '(a)%1?', 'x*$', 'a.-$', '.-b', '%-', '-', '+', '*', '?', 'a-?', 'a*?', 'a+?', 'a??',
      '%', 'a%', '[', '[a', '[^', '[%', '[%a', ')', 'a)', '(', 'a(', '%b', '%ba', '%f', '%fa', '%f[a', '%1',
      '(a)%2', '(a%1)', '%0', '(a)%0', '()%1', '%g', '$$', '^^', '^$a', 'a$$', '[a-%%]', '[%a-z]',
    }
    for _, s in ipairs(subjects) do
      for _, p in ipairs(patterns) do all(s, p) end
    end

    -- init: positive, zero, negative, beyond the end, extreme, floats with an integer value.
    local inits = { 1, 2, 3, 4, 5, 11, 12, 13, 0, -1, -2, -3, -11, -12, -100, 100, math.maxinteger,
      math.mininteger, 2.0, -1.0 }
    for _, s in ipairs({ '', 'a', 'abc', 'hello world', 'aaa' }) do
      for _, p in ipairs({ '', 'a', 'l', '^a', '^h', '^', '$', '.', '()', 'o w', '%w+', 'a*', '%f[%w]' }) do
        for _, init in ipairs(inits) do
          check('find', s, p, init)
          check('find', s, p, init, true)
          check('match', s, p, init)
          check('gmatch', s, p, init)
        end
      end
    end
    check('find', 'abc', 'b', 2.5)
    check('find', 'abc', 'b', '2')
    check('find', 'abc', 'b', 'x')
    check('match', 'abc', 'b', {})
    check('gmatch', 'abc', 'b', 1.5)

    -- find's plain flag, and the plain search it does for a pattern without specials.
    for _, p in ipairs({ '.', '%a', 'a.c', '[a]', '(b)', 'a*', '^a', 'c$', '%', '(', '[', 'b)', 'b]', 'a\0c', '' }) do
      for _, s in ipairs({ 'a.c', 'abc', '%a[a](b)a*^ac$', '(([[', 'xb)b]', 'a\0c', '' }) do
        for _, plain in ipairs({ true, false, 1, 0, 'yes' }) do check('find', s, p, 1, plain) end
        check('find', s, p, 1, nil)
        check('find', s, p, -2, true)
      end
    end
    check('find', ('ab'):rep(1000) .. 'abc', ('ab'):rep(100) .. 'c', 1, true)
    check('find', ('a'):rep(70000) .. 'b', ('a'):rep(300) .. 'b', 1, true)
    check('find', ('a'):rep(200000) .. 'b' .. ('a'):rep(10), 'ba', 1, true)
    check('find', ('a'):rep(200000), 'b', 1, true)
    check('find', ('xy'):rep(100000), ('xy'):rep(40000) .. 'x', 3, true)
    check('find', ('xy'):rep(100000), ('xy'):rep(40000) .. 'xx', 3, true)
    check('find', ('xy'):rep(100), 'yx', -7, true)
    check('find', ('xy'):rep(100) .. 'z', 'yz')

    -- gsub: string (and number) templates, tables, functions, n.
    local gsub_cases = {
      { 'hello world', '(%w+)', '<%1>' }, { 'hello world', '%w+', '%0 %0' }, { 'hello world', '(%w+) (%w+)', '%2 %1' },
      { 'abc', '', '-' }, { 'abc', '%w*', '-' }, { 'abc', '.-', '-' }, { '', '', 'x' }, { '', '.-', 'x' },
      { 'abc', 'b*', '-' }, { 'a b', '%s*', '_' }, { 'abc', '()', '%1' }, { 'abc', '(a)()', '%2%1' },
      { 'abc', '%w', '%%' }, { 'abc', '%w', '%' }, { 'abc', '%w', '%x' }, { 'abc', '%w', '%2' },
      { 'abc', '(%w)', '%2' }, { 'abc', '%w', '100%' }, { 'abc', '%w', '%1' }, { 'abc', '%w', '%0%0' },
      { 'abc', '(', 'x' }, { 'abc', '(', '%1' }, { 'abc', '(', '%0' }, { 'abc', 'b', 7 }, { 'abc', 'b', 7.5 },
      { 123, 2, 9 }, { 1.5, '%.', ',' }, { 'abc', 'b', '\0' }, { 'a\0b\0c', '%z', '0' }, { 'a\0b\0c', '\0', '<%0>' },
      { 'abc', 'b', 'x\0y' }, { 'abc', 'b', 'x%\0' }, { 'hello world', '^h', 'H' }, { 'hello world', '^w', 'W' },
      { 'hello', '^', '>' }, { 'hello', '$', '<' }, { 'hello', '^(.)', '%1%1' }, { 'hello', 'l', 'L', 1 },
      { 'hello', 'l', 'L', 0 }, { 'hello', 'l', 'L', -1 }, { 'hello', '', '.', 3 }, { 'hello', 'l', 'L', 2.0 },
      { 'hello', 'l', 'L', 1.5 }, { 'hello', 'l', 'L', '1' }, { 'hello', 'l', 'L', 'x' },
      { 'hello', 'l', 'L', math.maxinteger }, { 'hello', 'l', 'L', math.mininteger }, { 'abc', '%w', echo },
      { 'abc', '(%w)()', echo }, { 'abc', '()', echo }, { 'a b c d', '%w', keep_some },
      { 'a b c d', '(%w)', keep_some },
      { 'abc', '%w', bad_table }, { 'abc', '%w', bad_true }, { 'abc', '%w', raises }, { 'abc', 'x', raises },
      { 'abc', '(', echo }, { 'a ab b z y', '%w+', lookup }, { 'abc', '()', lookup }, { 'abc', '(%w)', { a = {} } },
      { 'abc', '(', lookup }, { 'abc', '%w', nil }, { 'abc', '%w', true }, { 'abc', '%w', false },
      { 'x = 1, y = 2', '(%w+) = (%w+)', '%2 = %1' }, { 'abc', '.', { a = 1, b = true } },
      { 'hello world', 'o', { o = '0' }, 1 }, { 'THE (quick) fox', '%b()', '' }, { 'f(a(b)c)d)', '%b()', '[%0]' },
      { 'abc', '[', 'x' }, { 'abc', 'z[', 'x' }, { 'the cat', '%f[%w]%w+', string.upper }, { 'aaa', 'a-', '-' },
      { 'one two', '(%w+)', '%1%1' }, { 'aaa', 'a-$', '-' }, { 'abc', '.', { 'x' } }, { 'abc', '%w', '%9' },
      { 'abc', '%w', '%1%' }, { ('x'):rep(1000), 'x', 'yy' }, { ('x'):rep(1000), 'x', '%0%0', 500 },
    }
    for _, c in ipairs(gsub_cases) do check('gsub', c[1], c[2], c[3], c[4]) end
    check('gsub', 'abc', 'b', 'x', nil)
    check('gsub', 'abc', 'b', 'x', 2, 'extra')
    check('gsub', 'abc')
    check('gsub')
    check('find')
    check('find', nil, 'a')
    check('find', {}, 'a')
    check('find', 'a', {})
    check('match', 'a')
    check('gmatch', 'a')
    check('gmatch', nil, 'a')

    -- gmatch: empty matches, '^' (not an anchor here), captures, positions, init.
    local gmatch_cases = {
      { '', '.-' }, { '', '' }, { 'abc', '' }, { 'abc', '.-' }, { 'abc', 'a*' }, { 'bab', 'a*' }, { '^a^a', '^a' },
      { 'one two  three', '%a+' }, { 'k=v, a=b', '(%w+)=(%w+)' }, { 'abc', '()' }, { 'abc', '()(.)' },
      { 'abc', '(' }, { 'abc', '%' }, { 'a,b,,c', '([^,]*)' }, { 'a\0b', '%Z+' }, { 'abab', 'b*' },
    }
    for _, c in ipairs(gmatch_cases) do
      check('gmatch', c[1], c[2])
      check('gmatch', c[1], c[2], 2)
      check('gmatch', c[1], c[2], -1)
    end

    -- Limits: 32 captures, 200 nested matcher calls.
    for _, n in ipairs({ 31, 32, 33 }) do
      all(('a'):rep(40), ('(a)'):rep(n))
      all(('a'):rep(40), ('()'):rep(n))
      all(('a'):rep(40), ('('):rep(n) .. 'a' .. (')'):rep(n))
    end
    for _, n in ipairs({ 150, 198, 199, 200, 201, 202, 250 }) do
      all(('a'):rep(n), ('a?'):rep(n))
      all(('a'):rep(n), ('a*'):rep(n))
      all(('a'):rep(n), ('a-'):rep(n))
      all(('a'):rep(n), ('.?'):rep(n))
      all(('a'):rep(n), ('(a?)'):rep(n > 200 and n or 20))
    end
    all(('a'):rep(300), ('a?'):rep(300), 100)

    -- Longer subjects.
    all(('ab'):rep(5000), '(a)(b)')
    all(('ab'):rep(5000) .. 'c', 'b*c')
    all(('(a)'):rep(3000), '%b()')
    all(('x'):rep(10000), '%f[x]')
    all(('xy'):rep(3000), '(xy)%1')
    check('gsub', ('hello '):rep(2000), '%w+', echo)

    -- The iterator keeps its place when called from another coroutine.
    local function across(gmatch)
      local it = gmatch('a1b2c3', '%a(%d)')
      local first = it()
      local second = coroutine.wrap(function() return it() end)()
      return first .. second .. it() .. tostring((it()))
    end
    compared = compared + 1
    if across(real.gmatch) ~= across(mine.gmatch) then
      failures[#failures + 1] = 'gmatch across coroutines: ' .. across(mine.gmatch)
    end

    -- Random subjects and patterns from a small alphabet, with a fixed seed.
    math.randomseed(20240611)
    local atoms = { 'a', 'b', 'a', 'b', '(', ')', '()', '%', '[', ']', '^', '$', '*', '+', '-', '?', '.', '%a',
      '%w', '%s', '%d', '%A', '%b()', '%bab', '%f[a]', '%f[%w]', '[ab]', '[^a]', '[a-b]', '%1', '%2', ' ' }
    local letters = { 'a', 'b', '(', ')', ' ', '1', 'a', 'b' }
    local random = 0
    for _ = 1, 5000 do
      local s, p = {}, {}
      for i = 1, math.random(0, 12) do s[i] = letters[math.random(#letters)] end
      for i = 1, math.random(1, 7) do p[i] = atoms[math.random(#atoms)] end
      s, p = concat(s), concat(p)
      local init = math.random(-3, 14)
      check('find', s, p)
      check('find', s, p, init)
      check('match', s, p, init)
      check('gmatch', s, p)
      check('gsub', s, p, '<%0%1>')
      check('gsub', s, p, echo, math.random(0, 3))
      random = random + 6
    end

    return compared, raised, random, #failures, concat(failures, '\n', 1, math.min(#failures, 30))
    """#

// Benchmarks for LuaKit, each side by side with a baseline doing the same work through the raw
// Lua C API, in one process: creating a sandboxed state, and a warm call of a Lua function that
// takes a 10-field table and returns a table. Run: swift run -c release taphouse-bench
import CLua
import LuaKit

/// Median nanoseconds per operation over `rounds` rounds of `batch` operations.
func measure(rounds: Int = 31, batch: Int, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = clock.now
        for _ in 0..<batch { try body() }
        let elapsed = clock.now - start
        let (s, atto) = elapsed.components
        samples.append((Double(s) * 1e9 + Double(atto) / 1e9) / Double(batch))
    }
    samples.sort()
    return samples[samples.count / 2]
}

func report(_ name: String, _ ns: Double, baseline: Double, goal: Double) {
    let us = ns / 1000
    let base = baseline / 1000
    let verdict = us <= goal ? "meets" : "MISSES"
    print(
        "\(name + String(repeating: " ", count: max(0, 34 - name.count))) \(fmt(us)) us   baseline \(fmt(base)) us   ratio \(fmt(ns / baseline))x   goal <= \(fmt(goal)) us: \(verdict)"
    )
}

func fmt(_ x: Double) -> String {
    let r = (x * 100).rounded() / 100
    return String(r)
}

let source = """
    return {
      f = function(t)
        return { sum = t.a + t.b + t.c, name = t.name .. "!", up = t.up, mtu = t.mtu, n = #t.tags }
      end,
    }
    """
let argument: LuaValue = [
    "a": 1, "b": 2, "c": 3, "name": "tap0", "up": true, "mtu": 1500, "mac": "aa:00:00:12:34:56",
    "mode": "bridged", "link": "br0", "tags": ["x", "y"],
]

// --- new state ---------------------------------------------------------------------------
let newState = try measure(batch: 200) {
    _ = try LuaState(configuration: LuaConfiguration(limits: LuaLimits(memoryBytes: 64 << 20)))
}
let newStateBaseline = measure(batch: 200) {
    let L = luaL_newstate()!
    luaL_openlibs(L)
    lua_close(L)
}

// --- warm call ---------------------------------------------------------------------------
let state = try LuaState()
let chunk = try state.load(source: source, name: "bench")
let warm = try measure(batch: 5000) {
    let result = try state.call(chunk, function: "f", arguments: [argument])
    precondition(result[0]["sum"] == 6)
}

// Baseline: the same function, table built and read back with the raw API, no sandbox, no
// budgets, no fresh environment, no conversion into Swift values beyond reading the fields.
let L = luaL_newstate()!
luaL_openlibs(L)
_ = source.withCString { luaL_loadstring(L, $0) }
_ = lua_pcallk(L, 0, 1, 0, 0, nil)
lua_getfield(L, -1, "f")
let functionRef = luaL_ref(L, CLUA_REGISTRYINDEX)
lua_settop(L, 0)
let warmBaseline = measure(batch: 5000) {
    lua_rawgeti(L, CLUA_REGISTRYINDEX, lua_Integer(functionRef))
    lua_createtable(L, 0, 10)
    for (key, value) in [("a", 1), ("b", 2), ("c", 3), ("mtu", 1500)] {
        lua_pushinteger(L, lua_Integer(value))
        lua_setfield(L, -2, key)
    }
    for (key, value) in [("name", "tap0"), ("mac", "aa:00:00:12:34:56"), ("mode", "bridged"), ("link", "br0")] {
        lua_pushstring(L, value)
        lua_setfield(L, -2, key)
    }
    lua_pushboolean(L, 1)
    lua_setfield(L, -2, "up")
    lua_createtable(L, 2, 0)
    lua_pushstring(L, "x")
    lua_rawseti(L, -2, 1)
    lua_pushstring(L, "y")
    lua_rawseti(L, -2, 2)
    lua_setfield(L, -2, "tags")
    guard lua_pcallk(L, 1, 1, 0, 0, nil) == LUA_OK else { fatalError("baseline call failed") }
    lua_pushnil(L)
    var fields = 0
    while lua_next(L, -2) != 0 {
        fields += 1
        lua_settop(L, -2)
    }
    lua_getfield(L, -1, "sum")
    precondition(lua_tointegerx(L, -1, nil) == 6 && fields == 5)
    lua_settop(L, 0)
}
lua_close(L)

print("LuaKit benchmarks (median of 31 rounds; baseline = raw Lua C API, same work, no sandbox)")
report("new sandboxed state", newState, baseline: newStateBaseline, goal: 300)
report("warm call (10-field table in/out)", warm, baseline: warmBaseline, goal: 10)

import Testing

@testable import LuaKit

@Suite("Values across the bridge")
struct ValueTests {
    static let identity = "return { id = function(...) return ... end }"

    static let roundTrips: [LuaValue] = [
        .nil, true, false, 0, -7, .integer(.max), .integer(.min), 1.0, 0.5, -2.25, .number(1e300),
        "", "plain", "with\u{0}nul\u{0}bytes", "üñí©ødé", .bytes([0xff, 0x00, 0xfe]),
        [1, 2, 3], ["a", 1.5, true], ["k": "v", "n": 3], [1: "one", 3: "three"],
        ["nested": ["list": [1, ["deep": true]], "empty": .map([:])]],
    ]

    @Test("a value passes through Lua unchanged", arguments: roundTrips)
    func valueRoundTrips(value: LuaValue) throws {
        let state = try makeState()
        let results = try run(state, Self.identity, function: "id", arguments: [value])
        #expect(results == [value])
    }

    @Test func integersAndFloatsStayApartInLua() throws {
        let state = try makeState()
        let results = try run(
            state, "return { f = function(a, b) return math.type(a), math.type(b), 3 // 2, 3 / 2, 2^53 end }",
            function: "f", arguments: [1, 1.0])
        #expect(results == ["integer", "float", .integer(1), .number(1.5), .number(9007199254740992)])
    }

    @Test func stringsKeepEmbeddedNulBytesBothWays() throws {
        let state = try makeState()
        let results = try run(
            state, "return { f = function(s) return #s, s:byte(2), 'x\\0y' end }", function: "f",
            arguments: ["a\u{0}b"])
        #expect(results == [3, 0, "x\u{0}y"])
    }

    @Test func arraysHolesAndEmptyTablesAreTold() throws {
        let state = try makeState()
        let results = try run(state, "return {10, 20}, {[1] = 'a', [3] = 'c'}, {}, {n = 1, 'x'}")
        #expect(results == [[10, 20], [1: "a", 3: "c"], .map([:]), [1: "x", "n": 1]])
        #expect(results[2].arrayValue == [])
    }

    @Test func aCyclicTableIsAConversionErrorNotACrash() throws {
        let state = try makeState()
        let error = failure(state, "local t = { a = { } } t.a.back = t return t")
        #expect(error?.code == .conversion)
        #expect(error?.message == "result #1.a.back: table contains itself (a cycle)")
    }

    @Test func aSharedButAcyclicTableConvertsTwice() throws {
        let state = try makeState()
        let results = try run(state, "local s = { 1 } return { a = s, b = s }")
        #expect(results == [["a": [1], "b": [1]]])
    }

    @Test func aTooDeepTableFromLuaIsAConversionError() throws {
        let state = try makeState()
        let error = failure(state, "local t = {} for i = 1, 200 do t = { t } end return t")
        #expect(error?.code == .conversion)
        #expect(error?.message.contains("nested deeper than 64 levels") == true)
    }

    @Test func aTooDeepValueFromSwiftIsAConversionError() throws {
        let state = try makeState()
        var value: LuaValue = 1
        for _ in 0..<10_000 { value = [value] }
        #expect(throws: LuaError.self) { try run(state, Self.identity, function: "id", arguments: [value]) }
        // The state is still fine afterwards.
        #expect(try run(state, "return 1 + 1") == [2])
    }

    @Test func functionsAreRefusedOrDescribedByPolicy() throws {
        let state = try makeState()
        let error = failure(state, "return { up = function() end }")
        #expect(error?.message == "result #1.up: a function cannot be passed to Swift")
        let chunk = try state.load(source: "return { up = function() end, co = coroutine.create(print) }", name: "t")
        #expect(try state.call(chunk, opaque: .describe) == [["up": .opaque("function"), "co": .opaque("thread")]])
    }

    @Test func unsupportedKeysAreNamed() throws {
        let state = try makeState()
        #expect(
            failure(state, "return { [true] = 1 }")?.message
                == "result #1: a boolean key cannot be passed to Swift (only strings and integers)")
        #expect(
            failure(state, "return { x = { [1.5] = 1 } }")?.message
                == "result #1.x: a fractional number key cannot be passed to Swift (only strings and integers)")
    }

    @Test func jsonKeepsIntegersAndFloatsApartAndSortsKeys() throws {
        let value: LuaValue = ["b": 1.0, "a": [1, "x\n\u{1}"], "c": .map([:]), "d": .nil]
        #expect(try value.json(pretty: false) == #"{"a":[1,"x\n\u0001"],"b":1.0,"c":{},"d":null}"#)
        #expect(throws: LuaError.self) { try LuaValue.number(.infinity).json() }
        #expect(throws: LuaError.self) { try LuaValue.bytes([0xff]).json() }
    }
}

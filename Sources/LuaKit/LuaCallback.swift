import CLua

/// A Swift closure Lua can call, boxed so its address can travel as a light userdata.
///
/// The body gets the calling thread's `lua_State` (a coroutine's, when called from one) and
/// returns the number of results it pushed, or `CLUA_RAISE` with an error value on top. It must
/// not call any Lua function that can raise.
final class LuaCallback {
    let name: String
    let body: (OpaquePointer) -> Int32

    init(name: String, body: @escaping (OpaquePointer) -> Int32) {
        self.name = name
        self.body = body
    }

    /// The one C entry point of every Swift callback (upvalue 1 of the trampoline closure).
    static let dispatch: lua_CFunction = { L in
        guard let L, let raw = lua_touserdata(L, clua_upvalueindex(2)) else { return 0 }
        return Unmanaged<LuaCallback>.fromOpaque(raw).takeUnretainedValue().body(L)
    }
}

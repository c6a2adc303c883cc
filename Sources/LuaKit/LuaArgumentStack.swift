import CLua

/// The arguments of a running Swift function, where Lua left them on the stack, converted one
/// at a time when the function asks, against one conversion budget for the whole call.
final class LuaArgumentStack {
    unowned let state: LuaState
    let L: OpaquePointer
    let count: Int32
    private var converted: [Int: LuaValue] = [:]
    /// Bytes the call's conversions may still copy (``LuaLimits/conversionBytes``).
    private var remaining: Int

    init(state: LuaState, L: OpaquePointer) {
        self.state = state
        self.L = L
        count = lua_gettop(L)
        remaining = state.configuration.limits.conversionBytes
    }

    func type(_ position: Int) -> Int32 { lua_type(L, Int32(position)) }

    func value(_ position: Int, _ functionName: String) throws(LuaArgumentError) -> LuaValue {
        if let value = converted[position] { return value }
        do {
            let value = try state.read(
                L, Int32(position), path: "argument #\(position) to '\(functionName)'", opaque: .refuse,
                budget: &remaining)
            converted[position] = value
            return value
        } catch {
            throw LuaArgumentError(message: "bad argument #\(position) to '\(functionName)' (\(error.message))")
        }
    }
}

import Foundation
@_exported import TestSupport
import Testing

@testable import LuaKit

/// Collects what chunks print and warn.
final class OutputRecorder {
    var lines: [LuaOutput] = []
}

/// A state with small limits that tests run fast against, recording its output.
func makeState(
    limits: LuaLimits = LuaLimits(timeout: .milliseconds(500), memoryBytes: 16 << 20),
    roots: [LuaModuleRoot] = [], modules: [LuaModule] = [], recorder: OutputRecorder? = nil
) throws -> LuaState {
    try LuaState(
        configuration: LuaConfiguration(
            limits: limits, moduleRoots: roots, modules: modules,
            output: recorder.map { recorder in { recorder.lines.append($0) } }))
}

/// Runs `source` as a chunk named `name` and checks the Lua stack is back at zero, on success
/// and on failure alike.
@discardableResult
func run(
    _ state: LuaState, _ source: String, name: String = "test.lua", function: String? = nil,
    arguments: [LuaValue] = [], sourceLocation: SourceLocation = #_sourceLocation
) throws(LuaError) -> [LuaValue] {
    #expect(state.stackTop == 0, "stack not empty before the call", sourceLocation: sourceLocation)
    defer { #expect(state.stackTop == 0, "stack not balanced after the call", sourceLocation: sourceLocation) }
    let chunk = try state.load(source: source, name: name)
    return try state.call(chunk, function: function, arguments: arguments)
}

/// Runs `source` expecting it to fail, and returns the error.
func failure(
    _ state: LuaState, _ source: String, name: String = "test.lua", sourceLocation: SourceLocation = #_sourceLocation
) -> LuaError? {
    do {
        let values = try run(state, source, name: name, sourceLocation: sourceLocation)
        Issue.record("expected an error, got \(values)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

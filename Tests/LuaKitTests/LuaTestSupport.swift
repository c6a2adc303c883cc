import Foundation
import Testing

@testable import LuaKit

/// A temporary folder for chunk files, removed when the value is released.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "luakit-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `contents` to `relative` (creating folders) and returns the full path.
    @discardableResult
    func write(_ relative: String, _ contents: String) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! contents.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

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

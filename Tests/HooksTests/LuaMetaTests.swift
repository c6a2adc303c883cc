import Foundation
import Logging
import LuaKit
import Testing

@testable import Hooks

/// The LuaLS files under `lua/meta` are what hook authors' editors complete and check against,
/// but nothing at run time reads them, so they drift silently. These tests tie them to the
/// modules `HookSandbox` installs, and check the annotations the way LuaLS would read them,
/// since CI has no LuaLS.
@Suite("Lua meta files")
struct LuaMetaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let metaRoot = repository + "/lua/meta"

    /// Meta files with no runtime module: the shared classes.
    static let notInSandbox: Set<String> = ["taphouse.types"]

    /// Every module hook code can require: the sandbox's, and `taphouse.test`, which spec files
    /// get. Computed, not stored: a module holds closures, which a static stored property cannot.
    static var sandboxModules: [LuaModule] {
        HookSandbox(limits: HookSandbox.defaultLimits, moduleRoots: [], logger: Logger(label: "test"))
            .modules(context: HookContext()) + [TestModule.module(TestModule.Collector())]
    }

    /// The types LuaLS knows without a declaration.
    static let builtinTypes: Set<String> = [
        "nil", "any", "unknown", "boolean", "string", "number", "integer", "function", "table", "thread",
        "userdata", "lightuserdata", "true", "false", "fun", "self",
    ]

    @Test(arguments: LuaMetaTests.sandboxModules.map(\.name))
    func metaFileDeclaresWhatTheModuleHas(_ name: String) throws {
        let module = try #require(Self.sandboxModules.first { $0.name == name })
        let path = Self.path(ofModule: name)
        let text = try #require(
            try? String(contentsOfFile: path, encoding: .utf8), "module \(name) has no meta file at \(path)")
        let file = LuaMetaFile(text)
        #expect(file.alias != nil, "\(path) declares no `local <alias> = {}`")

        let functions = Set(module.functions.keys)
        let declaredFunctions = Set(file.functions.map(\.name))
        #expect(
            declaredFunctions == functions,
            """
            \(name): meta file lacks functions \(functions.subtracting(declaredFunctions).sorted()), \
            declares functions the module lacks \(declaredFunctions.subtracting(functions).sorted())
            """)
        let values = Set(module.values.keys)
        #expect(
            file.values == values,
            """
            \(name): meta file lacks values \(values.subtracting(file.values).sorted()), \
            declares values the module lacks \(file.values.subtracting(values).sorted())
            """)
    }

    @Test func everyMetaFileIsASandboxModuleOrKnownNotToBe() throws {
        let sandbox = Set(Self.sandboxModules.map(\.name))
        let files = Set(try Self.metaFiles().map(Self.moduleName(ofPath:)))
        let stale = files.subtracting(sandbox).subtracting(Self.notInSandbox)
        #expect(stale.isEmpty, "meta files for modules that do not exist: \(stale.sorted())")
    }

    @Test func metaFilesAreWellFormed() throws {
        let files = try Self.metaFiles()
        #expect(!files.isEmpty)
        var declaredTypes = Self.builtinTypes
        var parsed: [(path: String, file: LuaMetaFile)] = []
        for path in files {
            let file = LuaMetaFile(try String(contentsOfFile: path, encoding: .utf8))
            declaredTypes.formUnion(file.declaredTypes)
            parsed.append((path, file))
        }
        for (path, file) in parsed {
            let shown = String(path.dropFirst(Self.repository.count + 1))
            // The marker is what tells LuaLS the module is implemented elsewhere; without it the
            // empty stubs would be taken for the implementation.
            #expect(file.lines.first == "---@meta", "\(shown) does not start with ---@meta")
            if let alias = file.alias {
                #expect(file.returned == alias, "\(shown) does not end with `return \(alias)`")
            }
            for annotation in file.annotations {
                let place = "\(shown):\(annotation.line)"
                guard let type = annotation.type, !type.isEmpty else {
                    Issue.record("\(place): ---@\(annotation.tag) names no type")
                    continue
                }
                let unknown = LuaMetaFile.typeNames(in: type).subtracting(declaredTypes)
                #expect(unknown.isEmpty, "\(place): type `\(type)` names undeclared \(unknown.sorted())")
            }
            for function in file.functions {
                let place = "\(shown):\(function.line)"
                #expect(function.hasDescription, "\(place): \(function.name) has no --- description")
                let signature = "\(function.name)(\(function.parameters.joined(separator: ", ")))"
                #expect(
                    function.documentedParameters == function.parameters,
                    "\(place): \(signature) has ---@param for \(function.documentedParameters)")
            }
        }
    }

    @Test func parserReadsTypesThatSpanSpaces() {
        let file = LuaMetaFile(
            """
            ---@meta
            local m = {}
            ---Does it.
            ---@param a table<string, { x: integer?, y: fun(n: taphouse.Nic) }> the a
            ---@param b? "up"|"down" | false
            ---@return integer
            function m.f(a, b) end
            m.K = 1
            return m
            """)
        #expect(file.alias == "m" && file.returned == "m")
        #expect(file.values == ["K"])
        #expect(file.functions.map(\.name) == ["f"])
        #expect(file.functions.first?.documentedParameters == ["a", "b"])
        #expect(
            file.annotations.map(\.type) == [
                "table<string, { x: integer?, y: fun(n: taphouse.Nic) }>", #""up"|"down" | false"#, "integer",
            ])
        #expect(
            LuaMetaFile.typeNames(in: "table<string, { x: integer?, y: fun(n: taphouse.Nic) }>")
                == ["table", "string", "integer", "fun", "taphouse.Nic"])
        #expect(LuaMetaFile.typeNames(in: #""up"|4|false"#) == ["false"])
    }

    static func path(ofModule name: String) -> String {
        metaRoot + "/" + name.replacingOccurrences(of: ".", with: "/") + ".lua"
    }

    static func moduleName(ofPath path: String) -> String {
        String(path.dropFirst(metaRoot.count + 1).dropLast(".lua".count)).replacingOccurrences(of: "/", with: ".")
    }

    static func metaFiles() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: metaRoot))
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".lua") }.sorted()
            .map { metaRoot + "/" + $0 }
    }
}

/// What the tests need from a LuaLS meta file, read line by line: the layout these files keep
/// (`local M = {}`, `function M.f(...)`, `M.K = ...`, `return M`) is simple enough that a full
/// Lua parser would only hide what is checked.
struct LuaMetaFile {
    struct Function {
        var name: String
        var line: Int
        var parameters: [String]
        var documentedParameters: [String]
        var hasDescription: Bool
    }

    struct Annotation {
        var tag: String
        var line: Int
        var type: String?
    }

    var lines: [Substring]
    var alias: String?
    var returned: String?
    var functions: [Function] = []
    var values: Set<String> = []
    var annotations: [Annotation] = []
    var declaredTypes: Set<String> = []

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        returned = lines.last { !$0.allSatisfy(\.isWhitespace) }?.wholeMatch(of: #/return\s+(\w+)\s*/#)
            .map { String($0.1) }
        var doc: [Substring] = []
        for (index, line) in lines.enumerated() {
            let number = index + 1
            if line.hasPrefix("---") {
                doc.append(line)
                if let match = line.wholeMatch(of: #/---@(param|return|field|type)\s+(.*)/#) {
                    annotations.append(
                        Annotation(tag: String(match.1), line: number, type: Self.type(match.1, match.2)))
                } else if let match = line.prefixMatch(of: #/---@(?:class|alias)\s+([\w.]+)/#) {
                    declaredTypes.insert(String(match.1))
                }
                continue
            }
            defer { doc = [] }
            if alias == nil, let match = line.wholeMatch(of: #/local\s+(\w+)\s*=\s*\{\s*\}\s*/#) {
                alias = String(match.1)
            } else if let alias, let match = line.prefixMatch(of: #/function\s+(\w+)\.(\w+)\s*\(([^)]*)\)/#),
                match.1 == alias
            {
                functions.append(
                    Function(
                        name: String(match.2), line: number,
                        parameters: match.3.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                        documentedParameters: doc.compactMap {
                            $0.prefixMatch(of: #/---@param\s+(\w+|\.\.\.)/#).map { String($0.1) }
                        },
                        hasDescription: doc.contains { $0.wholeMatch(of: #/---\s*[^@\s].*/#) != nil }))
            } else if let alias, let match = line.prefixMatch(of: #/(\w+)\.(\w+)\s*=[^=]/#), match.1 == alias {
                values.insert(String(match.2))
            }
        }
    }

    /// The type of an annotation: after the name for `param` and `field`, first for the others.
    static func type(_ tag: Substring, _ text: Substring) -> String? {
        var rest = text
        if tag == "param" || tag == "field" {
            if tag == "field", let scope = rest.prefixMatch(of: #/(?:public|protected|private|package)\s+/#) {
                rest = rest[scope.range.upperBound...]
            }
            guard let name = rest.prefixMatch(of: #/(?:\w+|\.\.\.)\??\s+/#) else { return nil }
            rest = rest[name.range.upperBound...]
        }
        let type = typePrefix(rest)
        return type.isEmpty ? nil : type
    }

    /// The type at the start of `text`, before its description. A type spans spaces inside
    /// brackets and around `|` (`table<string, any>`, `"up" | "down"`); any other space ends it.
    static func typePrefix(_ text: Substring) -> String {
        var depth = 0
        var quote: Character?
        var end = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if let open = quote {
                if c == open { quote = nil }
            } else if c == "\"" || c == "'" || c == "`" {
                quote = c
            } else if "<({[".contains(c) {
                depth += 1
            } else if ">)}]".contains(c) {
                depth -= 1
            } else if c.isWhitespace, depth == 0 {
                let before = text[..<index].last { !$0.isWhitespace }
                let after = text[index...].first { !$0.isWhitespace }
                if before != "|" && before != ":" && after != "|" { break }
            }
            if !c.isWhitespace { end = text.index(after: index) }
            index = text.index(after: index)
        }
        return String(text[..<end])
    }

    /// The type names a type expression uses: string literals, numbers, and the names of table
    /// fields and function parameters (before a `:`) are not types.
    static func typeNames(in type: String) -> Set<String> {
        let unquoted = type.replacing(#/"[^"]*"|'[^']*'|`[^`]*`/#, with: "\"\"")
        var names: Set<String> = []
        for match in unquoted.matches(of: #/([A-Za-z_][\w.]*)(\??\s*:)?/#) where match.2 == nil {
            let start = match.range.lowerBound
            if start > unquoted.startIndex, unquoted[unquoted.index(before: start)].isNumber { continue }
            names.insert(String(match.1))
        }
        return names
    }
}

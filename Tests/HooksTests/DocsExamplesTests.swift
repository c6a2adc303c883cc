import Foundation
import Testing

/// docs/hooks.md shows the shipped example hooks and specs whole: each such block must be the
/// file it names, so the guide never teaches code that the tests do not run.
@Suite("The hook guide's examples")
struct DocsExamplesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test func everyExampleBlockIsTheFileItNames() throws {
        let guide = try String(contentsOfFile: Self.repository + "/docs/hooks.md", encoding: .utf8)
        let blocks = guide.components(separatedBy: "```lua\n-- examples/").dropFirst()
        #expect(blocks.count == 4)
        for block in blocks {
            let path = "examples/" + block.prefix { $0 != "\n" }
            let body = block.drop { $0 != "\n" }.dropFirst()
            let code = body.components(separatedBy: "```\n").first ?? ""
            let file = try String(contentsOfFile: Self.repository + "/" + path, encoding: .utf8)
            #expect(code == file, "docs/hooks.md's copy of \(path) differs from the file")
        }
    }
}

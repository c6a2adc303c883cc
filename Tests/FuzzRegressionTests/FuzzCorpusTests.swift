import Foundation
import FuzzTargets
import Testing

/// Every fuzz target's seed corpus and every input that once broke one (`Fuzz/Regressions`),
/// replayed: each holds the target's properties, so a finding fixed stays fixed.
@Suite("Fuzz corpora replayed")
struct FuzzCorpusTests {
    static let names = FuzzTargets.all.map { $0.name }

    @Test(arguments: names)
    func everySeedAndRegressionHolds(_ name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        var count = 0
        for folder in [FuzzTargets.corpus(name), FuzzTargets.regressions(name)] {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let input = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file)))
                #expect(throws: Never.self, "\(folder)/\(file)") { try target.run(input) }
                count += 1
            }
        }
        #expect(count > 0, "no seeds in \(FuzzTargets.corpus(name))")
    }
}

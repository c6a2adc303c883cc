/// Spec results as busted prints them: one mark per case (● passed, ◼ failed, ○ skipped, ◇
/// departed), each failure with the case's `file:line`, its name, and what was expected and
/// found; then, once per site hook run under the built-in specs, whether it kept their contract
/// (and the exec calls it adds) or which of them it departs from on purpose; the skipped cases
/// with why; and last the count: `N passed, N failed[, N skipped][, N departed]`.
public enum HookSpecReport {
    public static func render(_ results: [HookSpecResult]) -> String {
        var lines: [String] = []
        lines.append(
            results.map { result -> String in
                switch result.outcome {
                case .passed, .kept: "●"
                case .failed: "◼"
                case .skipped: "○"
                case .departed: "◇"
                }
            }.joined())
        var passed = 0
        var failed = 0
        var departed = 0
        var skipped: [String] = []
        // By site hook, in the order first met: the cases that kept the contract with extra exec
        // calls, and those that depart from it on purpose.
        var kept: [(hook: String, cases: Int, extra: [String])] = []
        var departures: [(hook: String, reason: String, cases: [String])] = []
        for result in results {
            switch result.outcome {
            case .passed: passed += 1
            case .kept(let hook, let extra):
                passed += 1
                if let index = kept.firstIndex(where: { $0.hook == hook }) {
                    kept[index].cases += 1
                    kept[index].extra += extra
                } else {
                    kept.append((hook, 1, extra))
                }
            case .failed(let failures):
                failed += 1
                lines.append("")
                lines.append("Failure → \(result.location)")
                lines.append(result.name)
                lines += failures
            case .departed(let hook, let reason, let failures):
                departed += 1
                let line =
                    "  \(result.location) \(result.name): "
                    + failures.map { $0.prefix { $0 != "\n" } }.joined(
                        separator: "; ")
                if let index = departures.firstIndex(where: { $0.hook == hook }) {
                    departures[index].cases.append(line)
                } else {
                    departures.append((hook, reason, [line]))
                }
            case .skipped(let reason):
                skipped.append("Skipped → \(result.location)\n\(result.name): \(reason)")
            }
        }
        for group in kept {
            var distinct: [String] = []
            for call in group.extra where !distinct.contains(call) { distinct.append(call) }
            lines.append("")
            lines.append("Kept → \(group.hook)")
            lines.append(
                "contract kept, \(group.extra.count) extra exec call\(group.extra.count == 1 ? "" : "s")"
                    + " in \(group.cases) case\(group.cases == 1 ? "" : "s"):")
            lines += distinct.map { "  " + $0 }
        }
        for group in departures {
            lines.append("")
            lines.append("Departs → \(group.hook)")
            lines.append(
                "replaces the built-in hook on purpose (\(group.reason)); it departs from \(group.cases.count)"
                    + " of its spec case\(group.cases.count == 1 ? "" : "s"):")
            lines += group.cases
        }
        for entry in skipped {
            lines.append("")
            lines.append(entry)
        }
        lines.append("")
        lines.append(
            "\(passed) passed, \(failed) failed" + (skipped.isEmpty ? "" : ", \(skipped.count) skipped")
                + (departed == 0 ? "" : ", \(departed) departed"))
        return lines.joined(separator: "\n")
    }
}

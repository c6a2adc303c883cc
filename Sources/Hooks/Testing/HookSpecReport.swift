/// Spec results as busted prints them: one mark per case (● passed, ◼ failed, ○ skipped), each
/// failure with the case's `file:line`, its name, and what was expected and found, then the
/// skipped ones with why, and last the count: `N passed, N failed[, N skipped]`.
public enum HookSpecReport {
    public static func render(_ results: [HookSpecResult]) -> String {
        var lines: [String] = []
        lines.append(
            results.map { result -> String in
                switch result.outcome {
                case .passed: "●"
                case .failed: "◼"
                case .skipped: "○"
                }
            }.joined())
        var passed = 0
        var failed = 0
        var skipped: [String] = []
        for result in results {
            switch result.outcome {
            case .passed: passed += 1
            case .failed(let failures):
                failed += 1
                lines.append("")
                lines.append("Failure → \(result.location)")
                lines.append(result.name)
                lines += failures
            case .skipped(let reason):
                skipped.append("Skipped → \(result.location)\n\(result.name): \(reason)")
            }
        }
        for entry in skipped {
            lines.append("")
            lines.append(entry)
        }
        lines.append("")
        lines.append("\(passed) passed, \(failed) failed" + (skipped.isEmpty ? "" : ", \(skipped.count) skipped"))
        return lines.joined(separator: "\n")
    }
}

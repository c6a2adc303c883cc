extension Duration {
    /// `2s`, `1.5s`, `250ms`: short enough for an error message, unlike `description`
    /// (`2.0 seconds`).
    public var shortText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return attoseconds == 0 ? "0s" : "\(attoseconds / 1_000_000_000_000)us" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        return "\(Double(milliseconds) / 1000)s"
    }
}

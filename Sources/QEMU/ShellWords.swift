/// Splits text into words the way a POSIX shell would (quotes, backslashes, whitespace), without
/// running one: no expansion, no substitution, no globbing. For `kvm_extra`.
public enum ShellWords {
    /// The words, or the reason the text does not split (an unterminated quote, a trailing
    /// backslash).
    public static func split(_ text: String) -> Result<[String], SpecError> {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            switch c {
            case " ", "\t", "\n":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "'":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "'" {
                        closed = true
                        break
                    }
                    current.append(q)
                }
                guard closed else { return .failure(SpecError("", "unterminated single quote")) }
            case "\"":
                inWord = true
                var closed = false
                while let q = iterator.next() {
                    if q == "\"" {
                        closed = true
                        break
                    }
                    if q == "\\" {
                        guard let next = iterator.next() else { break }
                        // Inside double quotes a backslash escapes only these, as in sh.
                        if next == "\"" || next == "\\" || next == "$" || next == "`" {
                            current.append(next)
                        } else if next != "\n" {
                            current.append("\\")
                            current.append(next)
                        }
                        continue
                    }
                    current.append(q)
                }
                guard closed else { return .failure(SpecError("", "unterminated double quote")) }
            case "\\":
                guard let next = iterator.next() else { return .failure(SpecError("", "trailing backslash")) }
                if next != "\n" {
                    current.append(next)
                    inWord = true
                }
            default:
                current.append(c)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return .success(words)
    }
}

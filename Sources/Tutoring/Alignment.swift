/// A word of a text with where it is: Unicode-scalar offsets, end exclusive.
public struct Token: Sendable, Equatable {
    public var text: String
    public var start: Int
    public var end: Int
}

/// Splits into words and punctuation marks, each with its scalar span. An apostrophe inside a
/// word stays in it (`don't`, `it's`).
public func tokenize(_ text: String) -> [Token] {
    var tokens: [Token] = []
    var current = String.UnicodeScalarView()
    var start = 0
    var index = 0
    let scalars = Array(text.unicodeScalars)
    func flush() {
        if !current.isEmpty {
            tokens.append(Token(text: String(current), start: start, end: index))
            current = String.UnicodeScalarView()
        }
    }
    while index < scalars.count {
        let scalar = scalars[index]
        let isWordPart =
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            || ((scalar == "'" || scalar == "’") && !current.isEmpty && index + 1 < scalars.count
                && scalars[index + 1].properties.isAlphabetic)
        if isWordPart {
            if current.isEmpty { start = index }
            current.append(scalar)
        } else {
            flush()
            if !scalar.properties.isWhitespace {
                tokens.append(Token(text: String(scalar), start: index, end: index + 1))
            }
        }
        index += 1
    }
    flush()
    return tokens
}

/// One difference between a text and its rewrite: the original tokens `from` (possibly none, an
/// insertion) replaced by the rewrite's `to` (possibly none, a deletion), with the scalar span
/// in the original it covers.
public struct AlignedEdit: Sendable, Equatable {
    public var from: [String]
    public var to: [String]
    /// Span in the original. An insertion is widened to the word after it (or before it, at the
    /// end), so every edit marks at least one word, as LanguageTool's matches do.
    public var start: Int
    public var end: Int
    /// What replaces the original span: the rewrite's own text for it.
    public var replacement: String
}

/// The word-level differences between `original` and `rewrite` (a longest-common-subsequence
/// alignment of their tokens), adjacent changes grouped into one edit.
public func align(original: String, rewrite: String) -> [AlignedEdit] {
    let a = tokenize(original)
    let b = tokenize(rewrite)
    let n = a.count
    let m = b.count
    // lcs[i][j]: common subsequence length of a[i...] and b[j...]; case-sensitive on purpose
    // (a capitalisation fix is an edit).
    var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
        for j in stride(from: m - 1, through: 0, by: -1) {
            lcs[i][j] = a[i].text == b[j].text ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
        }
    }
    let rewriteScalars = Array(rewrite.unicodeScalars)
    let originalScalars = Array(original.unicodeScalars)
    func slice(_ scalars: [Unicode.Scalar], _ start: Int, _ end: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }
    var edits: [AlignedEdit] = []
    var fromRange: Range<Int>?  // indices into a
    var toRange: Range<Int>?  // indices into b
    var i = 0
    var j = 0
    func close() {
        defer {
            fromRange = nil
            toRange = nil
        }
        guard fromRange != nil || toRange != nil else { return }
        var from = fromRange ?? i..<i
        var to = toRange ?? j..<j
        if from.isEmpty {
            // An insertion: widen it to the next word both texts share, or the previous one.
            if i < n, j < m {
                from = i..<(i + 1)
                to = to.lowerBound..<(j + 1)
            } else if i > 0, to.lowerBound > 0 {
                from = (i - 1)..<i
                to = (to.lowerBound - 1)..<to.upperBound
            } else {
                return
            }
        }
        let start = a[from.lowerBound].start
        let end = a[from.upperBound - 1].end
        let replacement: String
        if to.isEmpty {
            replacement = ""
        } else {
            // Keep the original's spacing where the edit touches it: the rewrite's text for the span.
            replacement = slice(rewriteScalars, b[to.lowerBound].start, b[to.upperBound - 1].end)
        }
        guard slice(originalScalars, start, end) != replacement else { return }
        edits.append(
            AlignedEdit(
                from: a[from].map(\.text), to: b[to].map(\.text), start: start, end: end, replacement: replacement))
    }
    while i < n || j < m {
        if i < n, j < m, a[i].text == b[j].text {
            close()
            i += 1
            j += 1
        } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
            toRange = (toRange?.lowerBound ?? j)..<(j + 1)
            j += 1
        } else {
            fromRange = (fromRange?.lowerBound ?? i)..<(i + 1)
            i += 1
        }
    }
    close()
    return edits
}

/// Which of Harper's spelling suggestions a learner most likely meant (issue 18). Harper orders
/// them its own way and often puts a rare word first: "writting" → "writhing" before "writing",
/// "comming" → "cumming" before "coming", "woud" → "wood" before "would". A learner at A2–B1
/// mostly writes common words, so the suggestions are reordered by closeness to what was typed
/// and by how common the word is (its CEFR level in the word list, A1 first), Harper's order
/// breaking ties. The first suggestion is what `corrected` applies; the finding shows them all.
public enum SpellingChoice {
    /// Weight of one CEFR level against one edit (measured on jfleg-dev: 0.2–0.5 all choose alike).
    static let levelWeight = 0.3
    /// A suggestion that splits the word ("int rested" for "intrested") is rarely meant.
    static let splitCost = 0.8
    /// Nor one that adds an apostrophe ("fashion's" for "fashional").
    static let apostropheCost = 0.5
    /// The level given to a word the list does not know (above C2).
    static let unknownLevel = 7.0

    /// `suggestions` (Harper's `Replace with: “x”` texts) best first for the misspelt `original`.
    public static func ranked(_ suggestions: [String], for original: String, wordLevels: WordLevels) -> [String] {
        guard suggestions.count > 1, !wordLevels.isEmpty else { return suggestions }
        let costs = suggestions.map { cost(of: $0, for: original, wordLevels: wordLevels) }
        return suggestions.indices.sorted { (costs[$0], $0) < (costs[$1], $1) }.map { suggestions[$0] }
    }

    static func cost(of candidate: String, for original: String, wordLevels: WordLevels) -> Double {
        let parts = candidate.split(separator: " ")
        // A split is as common as its rarest part.
        let level = parts.map { wordLevels.level(of: String($0)) ?? unknownLevel }.max() ?? unknownLevel
        var cost = Double(editDistance(original.lowercased(), candidate.lowercased())) + levelWeight * level
        if parts.count > 1 { cost += splitCost }
        if candidate.contains("'") && !original.contains("'") { cost += apostropheCost }
        return cost
    }

    /// Damerau–Levenshtein distance (optimal string alignment): insertions, deletions,
    /// substitutions and swaps of two neighbouring letters ("teh" → "the") cost one each.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let substitution = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + substitution)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}

extension HarperLint {
    /// The lint with its suggestions in `SpellingChoice` order, when they are all replacements
    /// (a lint with a removal or an insertion keeps Harper's order).
    func withSpellingChoice(wordLevels: WordLevels) -> HarperLint {
        let replacements = suggestions.compactMap { Self.quoted($0, after: "Replace with: ") }
        guard replacements.count == suggestions.count, replacements.count > 1 else { return self }
        var lint = self
        lint.suggestions = SpellingChoice.ranked(replacements, for: matchedText, wordLevels: wordLevels).map {
            "Replace with: “\($0)”"
        }
        return lint
    }
}

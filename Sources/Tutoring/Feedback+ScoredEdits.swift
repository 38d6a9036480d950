/// Scored edits in the feedback: a finding per applied candidate, with its category and span.
extension FeedbackEngine {
    /// The scored edits applied on top of `applied` (the rules' and the rewrite's edits), as
    /// findings; none when the scorer fails or runs past its budget (the rules' result stands).
    func scoredFindings(
        _ scoredEdits: ScoredEdits, text: String, applied: [TextEdit], language: Language
    ) async -> [Located] {
        guard let scored = await scoredEdits.scored(text, taken: applied, wordLevels: wordLevels) else { return [] }
        let scalars = Array(text.unicodeScalars)
        return ScoredEdits.chosen(scored, margins: scoredEdits.margins).map { candidate in
            Self.finding(of: candidate, scalars: scalars, language: language)
        }
    }

    /// The word after `offset` (empty at the end of the text).
    static func nextWord(_ scalars: [Unicode.Scalar], after offset: Int) -> String {
        var index = offset
        while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
        var word = ""
        while index < scalars.count, scalars[index].properties.isAlphabetic {
            word.unicodeScalars.append(scalars[index])
            index += 1
        }
        return word
    }

    /// A candidate as a finding: rule `SCORED_<kind>`, the candidate's span and replacement.
    static func finding(of candidate: ScoredEdits.Candidate, scalars: [Unicode.Scalar], language: Language) -> Located {
        let edit = candidate.edit
        let category = candidate.kind.category
        let original = slice(scalars, edit.start, edit.end)
        var explanation = Explanations.explain(category, from: original, to: edit.replacement, in: language)
        if candidate.kind == .commaClause || candidate.kind == .commaInsert {
            let next = Self.nextWord(scalars, after: edit.end)
            explanation.message = Explanations.comma(before: next, to: edit.replacement, in: language)
        }
        return Located(
            start: edit.start, end: edit.end,
            match: Match(
                offset: 0, length: 0, message: explanation.message, shortMessage: explanation.short,
                replacements: [edit.replacement],
                rule: .init(id: "SCORED_\(candidate.kind.rawValue)", category: category)))
    }
}

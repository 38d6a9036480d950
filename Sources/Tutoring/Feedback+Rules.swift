/// How Harper's lints and our own rules combine into the lints the feedback reports (issue 18).
extension FeedbackEngine {
    /// The lints the feedback shows and `corrected` applies for `text`, and Harper's style
    /// suggestions (`combine`). Layout and style lints (spacing, punctuation habits, readability)
    /// are not errors in chat, except the punctuation rules in `keptPunctuationRules`.
    public static func shownLints(
        harper: [HarperLint], text: String, wordLevels: WordLevels
    ) -> (lints: [HarperLint], enhancements: [HarperLint]) {
        let errors = harper.filter {
            !HarperCorrector.ignoredKinds.contains($0.kind) || keptPunctuationRules.contains($0.rule)
        }
        let (lints, enhancements) = combine(harper: errors, text: text, wordLevels: wordLevels)
        return (lints.filter { Category.of(harperKind: $0.kind, rule: $0.rule) != nil }, enhancements)
    }

    /// Punctuation that is a learner's mistake rather than a habit: "its" for "it's", and the
    /// comma after an opening "However" or "For example".
    public static let keptPunctuationRules: Set<String> = ["ItsContraction", "DiscourseMarkers"]

    /// The lints to report, and Harper's style suggestions ("very good" → "excellent"), which are
    /// better words rather than mistakes.
    ///
    /// - Harper's spelling lints on names and Indonesian words are dropped: "Persib" is a football
    ///   club, not a misspelt "Persia"; "rendang" is food, not "rending". A British spelling is not
    ///   a mistake either. The others get their suggestions in `SpellingChoice` order.
    /// - Our rules (`LearnerRules`, `NumberAgreement`) add what Harper lacks; where both mark the same
    ///   words Harper's finding stays, except for the rules in `LearnerRules.overridesHarper`.
    public static func combine(
        harper: [HarperLint], text: String, wordLevels: WordLevels
    ) -> (
        lints: [HarperLint], enhancements: [HarperLint]
    ) {
        let scalars = Array(text.unicodeScalars)
        let enhancements = harper.filter { $0.kind == "Enhancement" }
        let trusted = harper.filter { lint in
            // A lint with nothing to write instead is never shown; it must not hide our finding.
            guard lint.kind != "Enhancement", lint.firstEdit != nil else { return false }
            guard spellingKinds.contains(lint.kind) else { return true }
            return !isNameOrForeign(lint, scalars: scalars, wordLevels: wordLevels) && !isBritishSpelling(lint)
        }.map { spellingKinds.contains($0.kind) ? $0.withSpellingChoice(wordLevels: wordLevels) : $0 }
        let own = LearnerRules.lints(text, wordLevels: wordLevels) + NumberAgreement.lints(text)
        func overlaps(_ a: HarperLint, _ b: HarperLint) -> Bool {
            a.span.charStart < b.span.charEnd && b.span.charStart < a.span.charEnd
        }
        var lints = trusted.filter { lint in
            !own.contains { LearnerRules.overridesHarper.contains($0.rule) && overlaps($0, lint) }
        }
        for rule in own where !lints.contains(where: { overlaps($0, rule) }) { lints.append(rule) }
        return (lints, enhancements)
    }

    static let spellingKinds: Set<String> = ["Spelling", "Typo", "BoundaryError"]

    /// Names ("Persib", "Bekasi", "KRL", see `LearnerRules.looksLikeName`) and Indonesian words
    /// learners keep in English ("nasi goreng", "es teh").
    static func isNameOrForeign(_ lint: HarperLint, scalars: [Unicode.Scalar], wordLevels: WordLevels) -> Bool {
        guard lint.span.charStart >= 0, lint.span.charEnd <= scalars.count, lint.span.charStart < lint.span.charEnd
        else { return false }
        let before = tokenize(slice(scalars, 0, lint.span.charStart)).last?.text
        let initial = before == nil || [".", "!", "?", ";", ":"].contains(before!)
        let words = tokenize(slice(scalars, lint.span.charStart, lint.span.charEnd))
        return !words.isEmpty
            && words.enumerated().allSatisfy { index, word in
                LearnerRules.looksLikeName(word.text, sentenceInitial: initial && index == 0, wordLevels: wordLevels)
            }
    }

    /// Harper's dictionary is American: "neighbour" → "neighbor" is not a learner's mistake.
    static func isBritishSpelling(_ lint: HarperLint) -> Bool {
        guard let edit = lint.firstEdit else { return false }
        let from = lint.matchedText.lowercased()
        let to = edit.replacement.lowercased()
        let pairs = [
            ("our", "or"), ("ise", "ize"), ("isation", "ization"), ("tre", "ter"), ("lled", "led"), ("ogue", "og"),
        ]
        return pairs.contains { british, american in
            from.contains(british) && from.replacingOccurrences(of: british, with: american) == to
        }
    }
}

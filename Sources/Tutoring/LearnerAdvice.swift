/// Better words and tips written without a model (issue 18, R-APP-3, R-APP-4): tips from the
/// learner's own findings (what they wrote, the rule, a short example) and better words from a
/// curated lexicon of upgrades and collocations for A2–B1 writers, checked against the CEFR word
/// levels `cakap setup` installs.
public enum LearnerAdvice {
    /// At most this many better words and tips per message: more is a wall of text for a learner.
    public static let maxBetterWords = 3
    public static let maxTips = 2

    /// The advice for a message: `findings` are its matches with the text each covers;
    /// `enhancements` Harper's style suggestions.
    public static func advice(
        text: String, findings: [(original: String, match: Match)], enhancements: [HarperLint],
        wordLevels: WordLevels, language: Language
    ) -> Advice {
        var words: [Advice.BetterWord] = []
        func add(_ original: String, _ suggestion: String, _ reason: String) {
            guard !original.isEmpty, original.lowercased() != suggestion.lowercased(),
                !words.contains(where: { $0.original.lowercased() == original.lowercased() })
            else { return }
            words.append(.init(original: original, suggestion: suggestion, reason: reason))
        }
        // Word-choice findings are better words too ("very like" → "really like").
        for (original, match) in findings where match.rule.category == .wordChoice {
            if let suggestion = match.replacements.first {
                add(
                    original, suggestion,
                    language == .id ? "Lebih wajar dalam bahasa Inggris." : "What English speakers say.")
            }
        }
        for entry in lexicon {
            guard let range = find(entry.original, in: text) else { continue }
            guard upgrades(entry.original, to: entry.suggestion, wordLevels) else { continue }
            add(String(text[range]), entry.suggestion, language == .id ? entry.reasonID : entry.reasonEN)
        }
        for lint in enhancements {
            guard let edit = lint.firstEdit, !edit.replacement.isEmpty else { continue }
            add(
                lint.matchedText, edit.replacement,
                language == .id ? "Satu kata yang lebih kuat." : "One stronger word instead of two.")
        }
        return Advice(betterWords: Array(words.prefix(maxBetterWords)), tips: tips(findings, language: language))
    }

    /// One tip per kind of mistake, in the order the learner made them.
    static func tips(_ findings: [(original: String, match: Match)], language: Language) -> [String] {
        var seen: Set<String> = []
        var tips: [String] = []
        for (original, match) in findings {
            let key = TipBank.key(for: match)
            guard !seen.contains(key), tips.count < maxTips else { continue }
            seen.insert(key)
            tips.append(TipBank.tip(key: key, wrote: original, fix: match.replacements.first ?? "", language: language))
        }
        return tips
    }

    /// The suggestion is at least as advanced as the words it replaces (or levels are unknown).
    static func upgrades(_ original: String, to suggestion: String, _ wordLevels: WordLevels) -> Bool {
        let from = tokenize(original).compactMap { wordLevels.level(of: $0.text) }.max()
        let to = tokenize(suggestion).compactMap { wordLevels.level(of: $0.text) }.max()
        guard let from, let to else { return true }
        return to >= from
    }

    /// The phrase as whole words, case-insensitive.
    static func find(_ phrase: String, in text: String) -> Range<String.Index>? {
        var searchStart = text.startIndex
        while let range = text.range(of: phrase, options: .caseInsensitive, range: searchStart..<text.endIndex) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before?.isLetter ?? false), !(after?.isLetter ?? false) { return range }
            searchStart = range.upperBound
        }
        return nil
    }

    struct Entry {
        let original: String
        let suggestion: String
        let reasonEN: String
        let reasonID: String
        /// A wrong collocation (a finding too), not only a stronger word.
        var isMistake = false
    }

    static func collocation(_ original: String, _ suggestion: String, _ en: String, _ id: String) -> Entry {
        Entry(original: original, suggestion: suggestion, reasonEN: en, reasonID: id, isMistake: true)
    }

    static func stronger(_ original: String, _ suggestion: String) -> Entry {
        Entry(
            original: original, suggestion: suggestion,
            reasonEN: "One stronger word instead of “very …”: it sounds more fluent.",
            reasonID: "Satu kata yang lebih kuat daripada “very …”, terdengar lebih lancar.")
    }

    /// Collocations Indonesian learners get wrong, then "very + adjective" upgrades one CEFR level up.
    static let lexicon: [Entry] = [
        collocation(
            "make homework", "do homework", "We do homework; we make things we create.",
            "Untuk PR dipakai “do”, bukan “make”."),
        collocation(
            "make my homework", "do my homework", "We do homework; we make things we create.",
            "Untuk PR dipakai “do”, bukan “make”."),
        collocation("do a mistake", "make a mistake", "We make mistakes.", "Kesalahan itu “make a mistake”."),
        collocation("make a photo", "take a photo", "We take photos.", "Foto itu “take a photo”."),
        collocation(
            "open the light", "turn on the light", "Lights are turned on, not opened.",
            "Lampu dinyalakan: “turn on”, bukan “open”."),
        collocation(
            "close the light", "turn off the light", "Lights are turned off, not closed.",
            "Lampu dimatikan: “turn off”, bukan “close”."),
        collocation("borrow me", "lend me", "You borrow from someone; they lend to you.", "“Lend me” = pinjami aku."),
        collocation(
            "handphone", "phone", "“Handphone” is not used in English: say “phone”.", "Dalam bahasa Inggris: “phone”."),
        collocation("go to home", "go home", "“Home” needs no “to” after go.", "Setelah “go”, “home” tanpa “to”."),
        collocation("join with", "join", "“Join” takes no “with”.", "“Join” tanpa “with”."),
        stronger("very good", "excellent"), stronger("very bad", "terrible"), stronger("very big", "huge"),
        stronger("very small", "tiny"), stronger("very happy", "delighted"), stronger("very tired", "exhausted"),
        stronger("very hungry", "starving"), stronger("very beautiful", "gorgeous"), stronger("very hot", "boiling"),
        stronger("very cold", "freezing"), stronger("very interesting", "fascinating"),
        stronger("very important", "essential"), stronger("very angry", "furious"),
        stronger("very scared", "terrified"), stronger("very funny", "hilarious"), stronger("very smart", "brilliant"),
        stronger("very excited", "thrilled"), stronger("very clean", "spotless"), stronger("very dirty", "filthy"),
        stronger("very crowded", "packed"), stronger("very boring", "dull"), stronger("very busy", "swamped"),
        stronger("very sad", "miserable"),
    ]
}

/// Rules for the mistakes Indonesian learners of English make most (L1 transfer, issue 18), in the
/// style of the number-noun rule: each matches a short, closed pattern of words from
/// `LearnerLexicon` and returns lints in Harper's shape (rule `CAKAP_…`, kind = our category), so
/// they flow through the same pipeline. Precision first: a pattern that might be right English is
/// left alone (`It is very like my village` is not "very + verb").
public enum LearnerRules {
    /// Every rule's lints for one message, in text order. `wordLevels` tells names (capitalised and
    /// unknown to it) from English words.
    public static func lints(_ text: String, wordLevels: WordLevels) -> [HarperLint] {
        let view = TextView(text: text, wordLevels: wordLevels)
        var found: [HarperLint] = []
        for sentence in view.sentences {
            found += veryVerb(view, sentence) + missingBe(view, sentence) + pastTime(view, sentence)
            found += thirdPerson(view, sentence) + beAgree(view, sentence) + embeddedQuestion(view, sentence)
            found += missingArticle(view, sentence) + redundantPreposition(view, sentence)
            found += pluralVerb(view, sentence) + collocation(view, sentence)
        }
        // One finding per word: the first rule to claim it keeps it.
        var kept: [HarperLint] = []
        for lint in found.sorted(by: { $0.span.charStart < $1.span.charStart })
        where !kept.contains(where: { $0.span.charStart < lint.span.charEnd && lint.span.charStart < $0.span.charEnd })
        {
            kept.append(lint)
        }
        return kept
    }

    /// Rules whose finding replaces Harper's on the same words: Harper reads "Yesterday she tell"
    /// as a missing -s ("tells"); the time word makes it a past ("told").
    public static let overridesHarper: Set<String> = ["CAKAP_PastTime"]

    /// The message's tokens with lower-cased text and sentence ranges.
    struct TextView {
        let text: String
        let tokens: [Token]
        let lower: [String]
        let sentences: [Range<Int>]
        let wordLevels: WordLevels

        init(text: String, wordLevels: WordLevels) {
            self.text = text
            self.wordLevels = wordLevels
            tokens = tokenize(text)
            lower = tokens.map { $0.text.lowercased().replacingOccurrences(of: "’", with: "'") }
            var ranges: [Range<Int>] = []
            var start = 0
            for (index, token) in tokens.enumerated() where [".", "!", "?", ";"].contains(token.text) {
                if index > start { ranges.append(start..<index) }
                start = index + 1
            }
            if start < tokens.count { ranges.append(start..<tokens.count) }
            sentences = ranges
        }

        func word(_ index: Int) -> String { index >= 0 && index < lower.count ? lower[index] : "" }

        /// The original text of tokens `from...to`.
        func slice(_ from: Int, _ to: Int) -> String {
            let scalars = Array(text.unicodeScalars)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[tokens[from].start..<tokens[to].end])
            return String(view)
        }

        /// A name: capitalised and not a function word (see `LearnerRules.looksLikeName`).
        func isName(_ index: Int) -> Bool {
            guard index >= 0, index < tokens.count, !Self.functionWords.contains(lower[index]) else { return false }
            let initial = index == 0 || [".", "!", "?", ";", ":"].contains(tokens[index - 1].text)
            return LearnerRules.looksLikeName(tokens[index].text, sentenceInitial: initial, wordLevels: wordLevels)
        }

        static let functionWords: Set<String> =
            LearnerLexicon.subjectPronouns.union(LearnerLexicon.determiners).union([
                "yesterday", "last", "every", "today", "tomorrow", "and", "but", "so", "because", "please", "can",
                "do", "does", "did", "a", "an", "there", "here", "what", "where", "when", "why", "how", "who",
            ])

        /// Whether the clause is about a finished past time (and not also a habit or the future).
        func isPast(_ sentence: Range<Int>) -> Bool {
            let words = sentence.map { lower[$0] }
            guard !words.contains(where: LearnerLexicon.notPast.contains) else { return false }
            if words.contains("yesterday") || words.contains("ago") { return true }
            return zip(words, words.dropFirst()).contains { $0 == "last" && LearnerLexicon.pastAfterLast.contains($1) }
        }
    }

    /// A capitalised word is a name ("Persib", "Rina", "KRL") in the middle of a sentence; at its
    /// start, when the word list does not know it or ranks it C2 (cefrpy gives many place names
    /// 6.0: "Malang", "Bogor"). Indonesian words learners keep in English count too.
    public static func looksLikeName(_ word: String, sentenceInitial: Bool, wordLevels: WordLevels) -> Bool {
        guard word.count >= 2, let first = word.first, first.isUppercase else {
            return LearnerLexicon.indonesianWords.contains(word.lowercased())
        }
        if !sentenceInitial || LearnerLexicon.indonesianWords.contains(word.lowercased()) { return true }
        guard let level = wordLevels.level(of: word) else { return true }
        return level >= 5.5
    }

    /// Who a verb's subject is, for *be* and -s.
    enum Person { case first, plural, thirdSingular }

    /// The subject that ends just before `index` (adverbs such as "always" skipped): a pronoun, a
    /// determiner and a noun, or a name (with a title such as "Pak"). It must open its clause.
    static func subject(before index: Int, _ view: TextView, _ sentence: Range<Int>) -> (start: Int, person: Person)? {
        var end = index - 1
        while end >= sentence.lowerBound, LearnerLexicon.adverbs.contains(view.word(end)) { end -= 1 }
        guard end >= sentence.lowerBound else { return nil }
        let word = view.word(end)
        var start = end
        let person: Person
        if LearnerLexicon.subjectPronouns.contains(word) {
            person = word == "i" ? .first : ["he", "she", "it"].contains(word) ? .thirdSingular : .plural
        } else if view.isName(end) {
            while start - 1 >= sentence.lowerBound, view.isName(start - 1) || titles.contains(view.word(start - 1)) {
                start -= 1
            }
            person = .thirdSingular
        } else if let determiner = [end - 1, end - 2].first(where: {
            $0 >= sentence.lowerBound && LearnerLexicon.determiners.contains(view.word($0))
        }), determiner == end - 1 || familyAdjectives.contains(view.word(end - 1)),
            word.allSatisfy(\.isLetter), !LearnerLexicon.adjectives.contains(word)
        {
            start = determiner
            let plural = word.hasSuffix("s") && !word.hasSuffix("ss") || ["people", "children"].contains(word)
            person = plural ? .plural : .thirdSingular
        } else {
            return nil
        }
        guard start == sentence.lowerBound || clauseOpeners.contains(view.word(start - 1)) else { return nil }
        return (start, person)
    }

    /// Adjectives inside a subject ("my little brother").
    static let familyAdjectives: Set<String> = ["little", "big", "older", "younger", "old", "best", "new", "elder"]
    static let titles: Set<String> = ["pak", "bu", "mbak", "mas", "miss", "mr", "mrs", "ms", "kak"]
    /// Words after which a new clause (and its subject) may start.
    static let clauseOpeners: Set<String> = LearnerLexicon.pastAfterLast.union([
        ",", "and", "but", "so", "because", "when", "if", "then", "that", "yesterday", "ago", "day", "morning",
        "afternoon", "evening", "today", "now", "also", "usually", "sometimes", "think", "said", "know",
    ])

    /// A lint in Harper's shape over tokens `from...to`.
    static func lint(
        _ rule: String, _ category: Category, _ view: TextView, _ from: Int, _ to: Int, _ replacement: String,
        _ message: String
    ) -> HarperLint {
        HarperLint(
            rule: "CAKAP_\(rule)", kind: category.rawValue,
            span: .init(charStart: view.tokens[from].start, charEnd: view.tokens[to].end), message: message,
            suggestions: ["Replace with: “\(replacement)”"], matchedText: view.slice(from, to))
    }

    /// `word` with the first letter's case of `model`.
    static func matchingCase(_ word: String, like model: String) -> String {
        guard let first = model.first, first.isUppercase else { return word }
        return word.prefix(1).uppercased() + word.dropFirst()
    }
}

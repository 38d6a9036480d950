/// The noun and preposition patterns of `LearnerRules`.
extension LearnerRules {
    /// "My father is teacher" → "a teacher", "buy new phone" → "a new phone": Indonesian has no
    /// articles, so a singular countable noun comes without one. Only listed jobs after *be* or
    /// *become* and listed things after *buy*, *have*, *take*, … are checked.
    static func missingArticle(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        let beVerbs: Set<String> = ["am", "is", "are", "was", "were", "be", "become", "becomes", "became"]
        let haveVerbs: Set<String> = [
            "buy", "bought", "buys", "have", "has", "had", "take", "took", "need", "needs", "want", "wants", "get",
            "got", "bring", "brought",
        ]
        let after = Category.prepositions.union(LearnerRules.clauseOpeners).union([
            "?", "!", "because", "next", "for", "yesterday", "tomorrow", "this", "like", "when",
        ])
        var found: [HarperLint] = []
        for index in sentence.dropFirst() {
            let verb = view.word(index - 1)
            var noun = index
            if Lexicon.nounAdjectives.contains(view.word(noun)) { noun += 1 }
            let word = view.word(noun)
            let fits =
                beVerbs.contains(verb) && Lexicon.jobs.contains(word) && noun == index
                || haveVerbs.contains(verb) && Lexicon.countables.contains(word)
            guard fits, noun < sentence.upperBound,
                noun + 1 == sentence.upperBound || after.contains(view.word(noun + 1))
            else { continue }
            let phrase = view.slice(index, noun)
            let replacement = "\(article(for: view.word(index))) \(phrase)"
            found.append(
                lint(
                    "MissingArticle", .article, view, index, noun, replacement,
                    "One \(word) needs “a” or “an” before it: “\(replacement)”."))
        }
        return found
    }

    /// "a" or "an" by the sound of the word's start (spelling approximates it).
    static func article(for word: String) -> String {
        let soundsLikeYou = ["uni", "use", "usu", "eu", "one"].contains(where: word.hasPrefix)
        return "aeiou".contains(word.first ?? "x") && !soundsLikeYou ? "an" : "a"
    }

    /// "explain about the test" → "explain the test": verbs that take a preposition in Indonesian
    /// ("menjelaskan tentang") and a direct object in English. Harper already knows "discuss about".
    static func redundantPreposition(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        var found: [HarperLint] = []
        for index in sentence.dropLast() {
            let word = view.word(index)
            let base = Lexicon.redundantPrepositions.keys.first { verb in
                [verb, verb + "s", verb + "ed", verb + "d", verb + "ing", String(verb.dropLast()) + "ing"].contains(
                    word)
                    || verb.hasSuffix("y") && word == verb.dropLast() + "ied"
            }
            guard let base, let preposition = Lexicon.redundantPrepositions[base],
                view.word(index + 1) == preposition
            else { continue }
            let replacement = view.tokens[index].text
            found.append(
                lint(
                    "RedundantPreposition", .preposition, view, index, index + 1, replacement,
                    "“\(base.capitalized)” takes its object directly, without “\(preposition)”: “\(replacement) …”."))
        }
        return found
    }

    /// "Many people is waiting" → "are": *people* and *children* are plural.
    static func pluralVerb(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        var found: [HarperLint] = []
        for index in sentence.dropFirst() where ["people", "children"].contains(view.word(index - 1)) {
            let verb = view.word(index)
            guard let replacement = ["is": "are", "was": "were", "has": "have"][verb] else { continue }
            found.append(
                lint(
                    "PluralVerb", .agreement, view, index, index, replacement,
                    "“\(view.tokens[index - 1].text)” is plural, so use “\(replacement)”."))
        }
        return found
    }

    /// "make homework" → "do homework": collocations from `LearnerAdvice.lexicon` that are mistakes
    /// (not the "very good" → "excellent" upgrades, which are only better words).
    static func collocation(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        var found: [HarperLint] = []
        for entry in LearnerAdvice.lexicon where entry.isMistake {
            let words = tokenize(entry.original).map { $0.text.lowercased() }
            for index in sentence where index + words.count <= sentence.upperBound {
                guard (0..<words.count).allSatisfy({ view.word(index + $0) == words[$0] }) else { continue }
                let last = index + words.count - 1
                found.append(
                    lint(
                        "Collocation", .wordChoice, view, index, last, entry.suggestion,
                        "\(entry.reasonEN) Write “\(entry.suggestion)”."))
            }
        }
        return found
    }
}

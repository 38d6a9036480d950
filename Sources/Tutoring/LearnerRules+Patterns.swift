/// The patterns of `LearnerRules`, one function each (issue 18's list of L1-transfer errors).
extension LearnerRules {
    typealias Lexicon = LearnerLexicon

    /// "I very like football" → "I really like": *very* does not go before a verb ("sangat suka").
    static func veryVerb(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        var found: [HarperLint] = []
        for index in sentence.dropLast() where view.word(index) == "very" {
            let verb = view.word(index + 1)
            let base = Lexicon.feelingVerbs.contains(verb) ? verb : String(verb.dropLast())
            guard Lexicon.feelingVerbs.contains(base), verb == base || verb == base + "s" else { continue }
            var start = index
            var person: Person?
            let before = view.word(index - 1)
            if Lexicon.beForms.contains(before) {
                // "I am very like" is the same mistake; "it is very like my village" means "just like".
                let pronoun = view.word(index - 2)
                guard index - 2 >= sentence.lowerBound, ["i", "you", "we", "they", "he", "she"].contains(pronoun) else {
                    continue
                }
                start = index - 1
                person = pronoun == "i" ? .first : ["he", "she"].contains(pronoun) ? .thirdSingular : .plural
            } else if Lexicon.determiners.contains(before) || before == "a" {
                continue
            } else {
                person = subject(before: index, view, sentence)?.person
            }
            let form: String
            switch person {
            case .thirdSingular: form = Lexicon.thirdPerson(base)
            case .first, .plural: form = base
            case nil: form = verb
            }
            let replacement = matchingCase("really \(form)", like: view.tokens[start].text)
            found.append(
                lint(
                    "VeryVerb", .wordChoice, view, start, index + 1, replacement,
                    "“Very” goes with adjectives, not verbs: write “\(replacement)” (or “\(form) … very much”)."))
        }
        return found
    }

    /// "I very happy" → "I am very happy": an adjective needs *be* (Indonesian has none there).
    static func missingBe(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        var found: [HarperLint] = []
        let intensifiers: Set<String> = ["very", "so", "too", "not", "really"]
        for index in sentence where Lexicon.adjectives.contains(view.word(index)) {
            let end = intensifiers.contains(view.word(index - 1)) && index - 1 > sentence.lowerBound ? index - 1 : index
            guard let subject = subject(before: end, view, sentence), subject.start < end else { continue }
            // The subject must end right before the adjective phrase (no verb between them).
            var last = end - 1
            while Lexicon.adverbs.contains(view.word(last)) { last -= 1 }
            guard last == end - 1 else { continue }
            let past = view.isPast(sentence)
            let be: String
            switch subject.person {
            case .first: be = past ? "was" : "am"
            case .plural: be = past ? "were" : "are"
            case .thirdSingular: be = past ? "was" : "is"
            }
            let replacement = view.slice(subject.start, last) + " " + be
            found.append(
                lint(
                    "MissingBe", .verbForm, view, subject.start, last, replacement,
                    "Before an adjective English needs a form of “be”: “\(replacement) \(view.slice(end, index))”."))
        }
        return found
    }

    /// "Yesterday I go" → "went": a finished past time word wants the past form.
    static func pastTime(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        guard view.isPast(sentence) else { return [] }
        var found: [HarperLint] = []
        for index in sentence {
            let word = view.word(index)
            guard let past = Lexicon.pastForms[word], past != word,
                !Lexicon.beforeNonFinite.contains(view.word(index - 1)),
                subject(before: index, view, sentence) != nil
            else { continue }
            let replacement = matchingCase(past, like: view.tokens[index].text)
            found.append(
                lint(
                    "PastTime", .verbForm, view, index, index, replacement,
                    "This happened in the past (look at the time words), so use the past form “\(replacement)”."))
        }
        return found
    }

    /// "My sister work in a bank" → "works": he, she, it or one person or thing takes -s.
    static func thirdPerson(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        guard !view.isPast(sentence) else { return [] }
        var found: [HarperLint] = []
        for index in sentence {
            let word = view.word(index)
            guard Lexicon.pastForms[word] != nil || word == "don't",
                !Lexicon.beforeNonFinite.contains(view.word(index - 1)) || word == "don't",
                let subject = subject(before: index, view, sentence), subject.person == .thirdSingular,
                !collectives.contains(view.word(index - 1))
            else { continue }
            let replacement = Lexicon.thirdPerson(word)
            found.append(
                lint(
                    "ThirdPersonS", .agreement, view, index, index, replacement,
                    "With he, she, it or one person, the verb takes -s: “\(replacement)”."))
        }
        return found
    }

    /// Nouns that may take a plural verb ("the youth have", "the police are").
    static let collectives: Set<String> = [
        "youth", "police", "staff", "people", "children", "team", "crew", "audience",
    ]

    /// "I am agree" → "I agree": *agree* is a verb, not an adjective ("saya setuju").
    static func beAgree(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        var found: [HarperLint] = []
        for index in sentence where Lexicon.beForms.contains(view.word(index)) {
            let negative = view.word(index + 1) == "not"
            let verbIndex = negative ? index + 2 : index + 1
            let verb = view.word(verbIndex)
            guard verbIndex < sentence.upperBound, verb == "agree" || verb == "disagree" else { continue }
            let be = view.word(index)
            let third = be == "is"
            let replacement: String
            switch (be, negative) {
            case ("was", false), ("were", false): replacement = verb + "d"
            case ("was", true), ("were", true): replacement = "didn't " + verb
            case (_, true): replacement = (third ? "doesn't " : "don't ") + verb
            default: replacement = third ? verb + "s" : verb
            }
            found.append(
                lint(
                    "BeAgree", .verbForm, view, index, verbIndex, replacement,
                    "“Agree” is a verb, so it needs no “\(be)”: “\(replacement)”."))
        }
        return found
    }

    /// "I know where is the station" → "where the station is": inside a sentence a question keeps
    /// the order of a statement.
    static func embeddedQuestion(_ view: TextView, _ sentence: Range<Int>) -> [HarperLint] {
        let triggers: Set<String> = [
            "know", "knows", "knew", "tell", "ask", "asked", "understand", "wonder", "remember", "sure", "explain",
        ]
        let objects: Set<String> = ["me", "him", "her", "us", "them", "you"]
        let wh: Set<String> = ["where", "what", "why", "when", "who", "how"]
        let stops: Set<String> = [",", "?", "and", "but", "because", "or", "so"]
        var found: [HarperLint] = []
        for index in sentence where wh.contains(view.word(index)) {
            var before = index - 1
            if objects.contains(view.word(before)) { before -= 1 }
            guard before >= sentence.lowerBound, triggers.contains(view.word(before)) else { continue }
            var aux = index + 1
            if ["time", "much", "many", "old", "long", "far"].contains(view.word(aux)) { aux += 1 }
            let auxWord = view.word(aux)
            guard ["is", "are", "was", "were", "does", "do", "did"].contains(auxWord) else { continue }
            let start = aux + 1
            guard start < sentence.upperBound,
                Lexicon.determiners.contains(view.word(start)) || Lexicon.subjectPronouns.contains(view.word(start))
                    || view.isName(start)
            else { continue }
            let head = view.slice(index, aux - 1)
            let replacement: String
            var last: Int
            if ["is", "are", "was", "were"].contains(auxWord) {
                // The subject: a pronoun or name, or a determiner and its noun ("the bus stop"); what
                // follows up to the clause's end ("angry") comes after the verb.
                var end = start
                if Lexicon.determiners.contains(view.word(start)) {
                    while end + 1 < sentence.upperBound, end - start < 2, !stops.contains(view.word(end + 1)),
                        !Lexicon.adjectives.contains(view.word(end + 1)), !view.word(end + 1).hasSuffix("ing")
                    {
                        end += 1
                    }
                }
                last = end
                while last + 1 < sentence.upperBound, !stops.contains(view.word(last + 1)), last - end < 3 { last += 1 }
                // Only a short predicate ("angry", "coming") may follow; anything else is left alone.
                let predicate = view.word(end + 1)
                guard last + 1 >= sentence.upperBound || stops.contains(view.word(last + 1)),
                    last == end
                        || last - end <= 2 && (Lexicon.adjectives.contains(predicate) || predicate.hasSuffix("ing"))
                else { continue }
                let rest = last > end ? " " + view.slice(end + 1, last) : ""
                replacement = "\(head) \(view.slice(start, end)) \(view.tokens[aux].text)\(rest)"
            } else {
                // "where does he live": the subject is one pronoun or name, or a determiner and a noun.
                let subjectEnd = Lexicon.determiners.contains(view.word(start)) ? start + 1 : start
                let verb = view.word(subjectEnd + 1)
                guard subjectEnd + 1 < sentence.upperBound, Lexicon.pastForms[verb] != nil || verb == "mean" else {
                    continue
                }
                let form =
                    auxWord == "does"
                    ? Lexicon.thirdPerson(verb) : auxWord == "did" ? (Lexicon.pastForms[verb] ?? verb) : verb
                last = subjectEnd + 1
                replacement = "\(head) \(view.slice(start, subjectEnd)) \(form)"
            }
            found.append(
                lint(
                    "EmbeddedQuestion", .wordOrder, view, index, last, replacement,
                    "Inside a sentence a question keeps the normal order (subject, then verb): “\(replacement)”."))
        }
        return found
    }
}

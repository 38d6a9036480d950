/// Where scored edits are tried: only the places a learner's article, comma or preposition can be
/// missing, extra or wrong, so a message costs the language model a few dozen short candidates
/// rather than every word position.
extension ScoredEdits {
    /// The candidates of `text`, most likely useful first (removals and changes of an existing
    /// word, then insertions): none touches a token that an edit in `taken` overlaps, and no
    /// article goes before a name or an Indonesian word ("Indomie", "es teh";
    /// `LearnerRules.looksLikeName`).
    public static func candidates(
        _ text: String, taken: [TextEdit], wordLevels: WordLevels = WordLevels(levels: [:])
    ) -> [Candidate] {
        let tokens = tokenize(text)
        let lower = tokens.map { $0.text.lowercased() }
        func free(_ index: Int) -> Bool {
            index >= 0 && index < tokens.count
                && !taken.contains { $0.start <= tokens[index].end && tokens[index].start <= $0.end }
        }
        func isWord(_ index: Int) -> Bool {
            index >= 0 && index < tokens.count
                && tokens[index].text.unicodeScalars.allSatisfy(\.properties.isAlphabetic)
        }
        var changes: [Candidate] = []
        var insertions: [Candidate] = []
        for index in tokens.indices where free(index) {
            let token = tokens[index]
            let word = lower[index]
            let next = index + 1 < tokens.count && free(index + 1) ? index + 1 : nil
            if articles.contains(word), let next, isWord(next) {
                // "the" + next → next; "a" ↔ "the".
                changes.append(removal(.articleRemove, tokens[index], before: tokens[next]))
                let other = word == "the" ? LearnerRules.article(for: lower[next]) : "the"
                changes.append(change(.articleChange, token, to: other))
            } else if let alternatives = confusedPrepositions[word] {
                if let next, isWord(next) {
                    changes.append(removal(.prepositionRemove, token, before: tokens[next]))
                }
                for alternative in alternatives { changes.append(change(.prepositionChange, token, to: alternative)) }
            } else if token.text == ",", index > 0, free(index - 1), isWord(index - 1) {
                var edit = TextEdit(start: tokens[index - 1].start, end: token.end, replacement: tokens[index - 1].text)
                if index + 1 < tokens.count, tokens[index + 1].start == token.end {  // "a,b": keep a space
                    edit.replacement += " "
                }
                changes.append(Candidate(kind: .commaRemove, edit: edit))
            }
            guard isWord(index) else { continue }
            let previous = index > 0 ? lower[index - 1] : nil
            if commaBefore.contains(word), index > 1, free(index - 1), isWord(index - 1) {
                insertions.append(append(.commaInsert, ",", to: tokens[index - 1]))
            }
            if introductory.contains(word), index == 0 || [".", "!", "?"].contains(previous ?? ""), let next,
                isWord(next)
            {
                insertions.append(append(.commaInsert, ",", to: token))
            }
            if prepositionAfter.contains(word), let next, isWord(next), !allPrepositions.contains(lower[next]),
                !articleBlockers.contains(lower[next]) || LearnerLexicon.determiners.contains(lower[next])
            {
                insertions.append(append(.prepositionInsert, " to", to: token))
            }
            let sentenceStart = index == 0 || [".", "!", "?"].contains(previous ?? "")
            if takesArticle(index, lower: lower, tokens: tokens),
                !LearnerRules.looksLikeName(token.text, sentenceInitial: sentenceStart, wordLevels: wordLevels),
                !bareNounPhrases.contains([previous ?? "", word])
            {
                let article = LearnerRules.article(for: word)
                // "a"/"an" never before a word that is not counted ("an anime", "a homework").
                for inserted in uncountable.contains(word) ? ["the"] : [article, "the"] {
                    let capitalised = sentenceStart ? inserted.prefix(1).uppercased() + inserted.dropFirst() : inserted
                    let rest = sentenceStart ? word : token.text
                    insertions.append(
                        Candidate(
                            kind: .articleInsert,
                            edit: TextEdit(start: token.start, end: token.end, replacement: capitalised + " " + rest)))
                }
            }
        }
        // Commas first: on learner English they are the most useful kind (docs/tutor.md).
        let commas = insertions.filter { $0.kind == .commaInsert }
        return commas + clauseCommas(tokens, lower: lower, free: free) + changes
            + insertions.filter { $0.kind != .commaInsert }
    }

    /// Commas after an opening phrase ("In my opinion", "For example") or an opening clause ("When
    /// I was young I played": tried before each of the next two subject-like words).
    static func clauseCommas(_ tokens: [Token], lower: [String], free: (Int) -> Bool) -> [Candidate] {
        var found: [Candidate] = []
        var start = 0
        while start < tokens.count {
            var end = start
            while end < tokens.count, ![".", "!", "?"].contains(lower[end]) { end += 1 }
            let words = Array(lower[start..<end])
            if let phrase = openingPhrases.first(where: { words.starts(with: $0) && words.count > $0.count + 1 }) {
                let last = start + phrase.count - 1
                if free(last), free(last + 1), lower[last + 1] != "," {
                    found.append(append(.commaInsert, ",", to: tokens[last]))
                }
            } else if let first = words.first, subordinators.contains(first) {
                var tried = 0
                for index in (start + 3)..<max(start + 3, end) where tried < 2 && subjectStarts.contains(lower[index]) {
                    guard free(index - 1), lower[index - 1] != ",", tokens[index - 1].text.first?.isLetter == true
                    else { continue }
                    found.append(append(.commaInsert, ",", to: tokens[index - 1]))
                    tried += 1
                }
            }
            // Two clauses: "…my sister and we bought" → "sister, and we"; "…in the past we had" →
            // "past, we". At least three words before, a word (not a function word) just before;
            // never a place the opening-clause commas above already try.
            for index in (start + 3)..<max(start + 3, end) {
                let previous = index - 1
                guard free(previous), free(index), lower[previous] != ",",
                    tokens[previous].text.unicodeScalars.allSatisfy(\.properties.isAlphabetic),
                    !clauseBlockers.contains(lower[previous])
                else { continue }
                let clause =
                    coordinators.contains(lower[index]) && index + 1 < end && subjectStarts.contains(lower[index + 1])
                    || clauseSubjects.contains(lower[index])
                let comma = append(.commaClause, ",", to: tokens[previous])
                if clause, !found.contains(where: { $0.edit == comma.edit }) { found.append(comma) }
            }
            start = end + 1
        }
        return found
    }

    static let openingPhrases: [[String]] = [
        "in my opinion", "for example", "for instance", "in conclusion", "in addition", "first of all",
        "on the other hand", "in fact", "of course", "in the past", "in the future", "as a result", "in general",
        "to sum up", "in other words", "at the same time", "as a matter of fact", "in my view", "by the way",
    ].map { $0.split(separator: " ").map(String.init) }

    static let subordinators: Set<String> = [
        "if", "when", "although", "though", "because", "while", "after", "before", "since", "as", "once", "unless",
    ]

    /// Clause coordinators a comma is tried before when a subject follows.
    static let coordinators: Set<String> = ["and", "or"]

    /// Subject pronouns a comma is tried before (a new clause after an opening one).
    static let clauseSubjects: Set<String> = ["i", "we", "they", "he", "she", "you"]

    /// Words a clause comma never follows (the clause cannot end there).
    static let clauseBlockers: Set<String> = articleBlockers.union(allPrepositions).union([
        "and", "or", "but", "so", "that", "think", "thought", "believe", "know", "say", "said", "feel",
        "hope", "because", "than", "if", "when", "where", "what", "how", "why", "who", "which", "whether", "let",
        "make", "makes", "made", "help", "helps", "see", "saw", "tell", "told", "ask", "asked", "want", "wants",
    ])

    static let subjectStarts: Set<String> = [
        "i", "you", "we", "they", "he", "she", "it", "people", "there", "this", "the", "students", "everyone",
    ]

    /// Whether an article could be missing before word `index`: a lowercase content word after a
    /// verb, a preposition or at a sentence's start, never after a determiner, number or adjective
    /// we know.
    static func takesArticle(_ index: Int, lower: [String], tokens: [Token]) -> Bool {
        let word = lower[index]
        let text = tokens[index].text
        guard word.count >= 3, !articleBlockers.contains(word), !word.hasSuffix("ly"),
            !allPrepositions.contains(word)
        else { return false }
        if index == 0 || [".", "!", "?"].contains(lower[index - 1]) {
            // "Specializing in one subject…", "Swimming is fun": no "A"/"The" before a gerund.
            return text.first?.isUppercase == true && !word.hasSuffix("ing")
        }
        let previous = lower[index - 1]
        guard text.first?.isLowercase == true else { return false }
        return !articleBlockers.contains(previous) || allPrepositions.contains(previous)
            || LearnerLexicon.beForms.contains(previous) || ["have", "has", "had", "is"].contains(previous)
    }

    static func removal(_ kind: Kind, _ token: Token, before next: Token) -> Candidate {
        Candidate(kind: kind, edit: TextEdit(start: token.start, end: next.end, replacement: next.text))
    }

    static func change(_ kind: Kind, _ token: Token, to word: String) -> Candidate {
        Candidate(
            kind: kind, edit: TextEdit(start: token.start, end: token.end, replacement: matchingCase(word, token.text)))
    }

    static func append(_ kind: Kind, _ text: String, to token: Token) -> Candidate {
        Candidate(kind: kind, edit: TextEdit(start: token.start, end: token.end, replacement: token.text + text))
    }

    static func matchingCase(_ word: String, _ model: String) -> String {
        model.first?.isUppercase == true ? word.prefix(1).uppercased() + word.dropFirst() : word
    }

    static let articles: Set<String> = ["a", "an", "the"]

    /// Nouns that are not counted: "a"/"an" is never tried before them ("watch anime").
    static let uncountable: Set<String> = [
        "anime", "music", "homework", "information", "advice", "news", "furniture", "money", "water", "rice",
        "food", "traffic", "weather", "work", "research", "knowledge", "equipment", "luggage", "baggage",
        "software", "hardware", "electricity", "pollution", "happiness", "education", "health", "fun", "love",
        "football", "badminton", "basketball", "soccer", "tennis", "coffee", "tea", "milk", "bread", "meat",
        "technology", "transportation", "progress", "evidence", "feedback", "garbage", "rubbish", "sugar", "salt",
    ]

    /// Word pairs that take no article: "on holiday", "at home", "go to school", "by bus".
    static let bareNounPhrases: Set<[String]> = Set(
        [
            "on holiday", "on vacation", "on foot", "on time", "at home", "at school", "at work", "at night",
            "at church", "at university", "at college", "at lunch", "at dinner", "at breakfast", "to school",
            "to work", "to bed", "to church", "to college", "to university", "in bed", "in class", "in school",
            "in college", "in church", "in town", "in time", "by bus", "by car", "by train", "by plane", "by bike",
            "by motorbike", "by taxi", "by hand", "after school", "after work", "after class", "before school",
            "for breakfast", "for lunch", "for dinner", "have breakfast", "have lunch", "have dinner", "go home",
            "went home", "come home", "came home",
        ].map { $0.split(separator: " ").map(String.init) })

    /// Prepositions learners confuse, each with the ones tried instead.
    static let confusedPrepositions: [String: [String]] = [
        "in": ["on", "at"], "on": ["in", "at"], "at": ["in", "on"], "for": ["to", "of"], "of": ["for", "in"],
        "about": ["of"], "with": ["to"], "from": ["of"], "into": ["in"],
    ]

    static let allPrepositions: Set<String> = Set(confusedPrepositions.keys).union([
        "to", "by", "over", "under", "after", "before", "during", "without", "through", "between", "like", "than",
        "since", "until", "as", "near", "around", "across", "against", "toward", "towards", "within", "upon",
    ])

    /// Verbs after which learners drop "to" ("go school", "listen music").
    static let prepositionAfter: Set<String> = [
        "go", "goes", "went", "come", "comes", "came", "listen", "listens", "listened", "travel", "travelled",
        "traveled", "return", "returned", "belong", "belongs", "talk", "talked", "reply", "replied", "explain",
        "according", "due", "related", "similar", "compared",
    ]

    /// A comma is tried before these clause starters.
    static let commaBefore: Set<String> = ["but", "so", "which", "although", "though", "however", "yet"]

    /// A comma is tried after these at a sentence's start.
    static let introductory: Set<String> = [
        "however", "moreover", "furthermore", "therefore", "nowadays", "firstly", "secondly", "thirdly", "finally",
        "lastly", "besides", "otherwise", "actually", "unfortunately", "fortunately", "additionally", "consequently",
        "nevertheless", "meanwhile", "instead", "also", "first", "second", "third", "today", "yes", "no", "well",
        "hence", "thus", "personally", "ultimately", "overall", "honestly", "sadly", "hopefully", "recently",
    ]

    /// Words an article never goes before or after (function words, quantifiers, numbers' words).
    static let articleBlockers: Set<String> = LearnerLexicon.subjectPronouns.union(LearnerLexicon.determiners)
        .union(LearnerLexicon.adverbs).union(LearnerLexicon.adjectives).union(LearnerLexicon.nounAdjectives).union([
            "a", "an", "the", "its", "these", "those", "me", "him", "us", "them", "and", "or", "but", "so", "because",
            "if", "when", "while", "that", "which", "who", "whom", "whose", "what", "where", "why", "how", "not",
            "very", "too", "just", "only", "some", "any", "many", "much", "more", "most", "all", "every", "each", "no",
            "few", "several", "other", "another", "both", "either", "neither", "such", "own", "there", "here",
            "yesterday", "today", "tomorrow", "please", "yes", "ok", "do", "does", "did", "will", "would", "can",
            "could", "should", "must", "may", "might", "shall", "be", "been", "being", "am", "are", "was", "were",
            "one", "two", "three", "four", "five", "ten", "hundred", "thousand", "first", "second", "last", "next",
            "same", "less", "lot", "lots", "even", "then", "than", "also", "about", "really", "anything",
            "something", "nothing", "everything", "everyone", "someone", "anyone", "people", "home", "to", "is", "has",
            "have", "had",
        ])
}

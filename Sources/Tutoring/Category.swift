/// What kind of mistake a finding is; the tutor's nine categories (issue 5).
public enum Category: String, Sendable, CaseIterable, Codable {
    case spelling
    case verbForm = "verb_form"
    case agreement
    case article
    case preposition
    case wordChoice = "word_choice"
    case wordOrder = "word_order"
    case punctuation
    case capitalisation

    /// Harper's kind (and rule) in our categories; nil for layout and style lints that are not
    /// errors in casual chat (Formatting, Readability).
    public static func of(harperKind kind: String, rule: String) -> Category? {
        // Our own rules (LearnerRules) carry the category as their kind.
        if rule.hasPrefix("CAKAP_"), let own = Category(rawValue: kind) { return own }
        if let named = harperRules[rule] { return named }
        switch kind {
        case "Spelling", "Typo", "BoundaryError": return .spelling
        case "Capitalization": return .capitalisation
        case "Punctuation": return .punctuation
        case "Agreement": return .agreement
        // Enhancement ("very good" → "excellent") is style, not a mistake: it becomes a better word.
        case "Formatting", "Readability", "Enhancement": return nil
        case "Grammar":
            let lowered = rule.lowercased()
            if ["irregular", "verb", "tense", "participle"].contains(where: lowered.contains) { return .verbForm }
            if lowered.contains("article") || lowered.contains("anvsa") { return .article }
            if lowered.contains("agreement") || lowered.contains("plural") { return .agreement }
            return .wordChoice
        default: return .wordChoice
        }
    }

    /// Harper rules whose kind says less than their name ("discuss about" is Usage).
    static let harperRules: [String: Category] = [
        "Discuss": .preposition, "NominalWants": .agreement, "AdjectiveDoubleDegree": .wordChoice,
    ]

    static let articles: Set<String> = ["a", "an", "the"]
    static let prepositions: Set<String> = [
        "in", "on", "at", "to", "for", "of", "with", "by", "from", "about", "into", "onto", "over", "under",
        "between", "among", "through", "during", "since", "until", "till", "towards", "toward", "upon", "within",
        "without", "across", "after", "before", "behind", "beside", "near",
    ]
    static let agreementPairs: Set<[String]> = [
        ["is", "are"], ["was", "were"], ["has", "have"], ["does", "do"], ["doesn't", "don't"], ["isn't", "aren't"],
        ["wasn't", "weren't"], ["hasn't", "haven't"],
    ]
    static let irregularVerbs: [String: Set<String>] = [
        "go": ["went", "gone", "goes", "going"], "buy": ["bought", "buys", "buying"],
        "eat": ["ate", "eaten", "eats", "eating"], "see": ["saw", "seen", "sees", "seeing"],
        "come": ["came", "comes", "coming"], "take": ["took", "taken", "takes", "taking"],
        "make": ["made", "makes", "making"], "do": ["did", "done", "does", "doing"],
        "have": ["had", "has", "having"], "be": ["am", "is", "are", "was", "were", "been", "being"],
        "get": ["got", "gotten", "gets", "getting"], "give": ["gave", "given", "gives", "giving"],
        "write": ["wrote", "written", "writes", "writing"], "think": ["thought", "thinks", "thinking"],
        "teach": ["taught", "teaches", "teaching"], "bring": ["brought", "brings", "bringing"],
        "catch": ["caught", "catches", "catching"], "find": ["found", "finds", "finding"],
        "tell": ["told", "tells", "telling"], "say": ["said", "says", "saying"],
        "run": ["ran", "runs", "running"], "swim": ["swam", "swum", "swims", "swimming"],
        "speak": ["spoke", "spoken", "speaks", "speaking"], "meet": ["met", "meets", "meeting"],
        "sleep": ["slept", "sleeps", "sleeping"], "feel": ["felt", "feels", "feeling"],
        "leave": ["left", "leaves", "leaving"], "keep": ["kept", "keeps", "keeping"],
        "begin": ["began", "begun", "begins", "beginning"], "drink": ["drank", "drunk", "drinks", "drinking"],
        "know": ["knew", "known", "knows", "knowing"], "grow": ["grew", "grown", "grows", "growing"],
        "fly": ["flew", "flown", "flies", "flying"], "read": ["reads", "reading"],
        "sing": ["sang", "sung", "sings", "singing"], "sit": ["sat", "sits", "sitting"],
        "stand": ["stood", "stands", "standing"], "win": ["won", "wins", "winning"],
        "lose": ["lost", "loses", "losing"], "pay": ["paid", "pays", "paying"],
        "send": ["sent", "sends", "sending"], "spend": ["spent", "spends", "spending"],
        "build": ["built", "builds", "building"], "forget": ["forgot", "forgotten", "forgets", "forgetting"],
        "choose": ["chose", "chosen", "chooses", "choosing"], "wake": ["woke", "woken", "wakes", "waking"],
    ]

    /// Categories of all the differences of one alignment: a word deleted in one place and inserted
    /// in another is a word-order mistake, whatever each edit looks like alone.
    public static func of(_ edits: [AlignedEdit]) -> [Category] {
        let removed = edits.map { Set($0.from.map { $0.lowercased() }).subtracting($0.to.map { $0.lowercased() }) }
        let added = edits.map { Set($0.to.map { $0.lowercased() }).subtracting($0.from.map { $0.lowercased() }) }
        return edits.indices.map { index in
            let moved = edits.indices.contains { other in
                other != index
                    && (!removed[index].intersection(added[other]).isEmpty
                        || !added[index].intersection(removed[other]).isEmpty)
            }
            return moved ? .wordOrder : of(edits[index])
        }
    }

    /// The category of a difference found by aligning a message with its minimal rewrite.
    public static func of(_ edit: AlignedEdit) -> Category {
        let from = edit.from.map { $0.lowercased() }
        let to = edit.to.map { $0.lowercased() }
        let isPunctuation: (String) -> Bool = {
            $0.unicodeScalars.allSatisfy { !$0.properties.isAlphabetic && $0.properties.numericType == nil }
        }
        if from == to { return .capitalisation }  // the same words, another case
        let changedFrom = from.filter { !to.contains($0) }
        let changedTo = to.filter { !from.contains($0) }
        if (changedFrom + changedTo).allSatisfy(isPunctuation) { return .punctuation }
        if from.count == to.count, from.count > 1, from.sorted() == to.sorted() { return .wordOrder }
        if (changedFrom + changedTo).allSatisfy(articles.contains) { return .article }
        if !(changedFrom + changedTo).isEmpty, (changedFrom + changedTo).allSatisfy(prepositions.contains) {
            return .preposition
        }
        if changedFrom.count == 1, changedTo.count == 1 {
            let pair = [changedFrom[0], changedTo[0]]
            if agreementPairs.contains(pair) || agreementPairs.contains(pair.reversed()) { return .agreement }
            if irregularForms(pair[0], pair[1]) { return .verbForm }
            for (x, y) in [(pair[0], pair[1]), (pair[1], pair[0])] {
                // -s/-es/-ies: a plural noun or a third-person verb; either way, agreement.
                for suffix in ["s", "es"] where x.hasSuffix(suffix) && String(x.dropLast(suffix.count)) == y {
                    return .agreement
                }
                if x.hasSuffix("ies"), String(x.dropLast(3)) + "y" == y { return .agreement }
            }
            if sameVerb(pair[0], pair[1]) { return .verbForm }
            if SpellingChoice.editDistance(pair[0], pair[1]) <= max(1, min(pair[0].count, pair[1].count) / 3) {
                return .spelling
            }
        }
        return .wordChoice
    }

    /// Two forms of the same irregular verb (go/went, buy/bought).
    static func irregularForms(_ a: String, _ b: String) -> Bool {
        irregularVerbs.contains { base, forms in
            let all = forms.union([base])
            return all.contains(a) && all.contains(b)
        }
    }

    /// Two forms of one verb: regular -ed/-ing, or a regularised irregular (buyed/bought).
    static func sameVerb(_ a: String, _ b: String) -> Bool {
        for (base, forms) in irregularVerbs {
            let all = forms.union([base])
            // A regularised irregular verb (buyed, goed, eated) against one of its real forms.
            for (x, y) in [(a, b), (b, a)] where all.contains(y) {
                if x == base + "ed" || x == base + "d" || x == base + "s" || x == base + "es" { return true }
            }
        }
        for suffix in ["ed", "ing", "d"] {
            for (x, y) in [(a, b), (b, a)] where x.hasSuffix(suffix) {
                let stem = String(x.dropLast(suffix.count))
                if stem.count >= 2,
                    stem == y || stem + "e" == y
                        || (y.hasSuffix("ed") || y.hasSuffix("ing"))
                            && y.hasPrefix(stem)
                {
                    return true
                }
            }
        }
        return false
    }
}

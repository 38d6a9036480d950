/// A rule Harper lacks: a count noun after a number above one or a quantifier must be plural ("I
/// has two cat" → "cats", "a lot of assignment" → "assignments"). Precision first: only a number
/// word, numeral above one or quantifier, then one lower-case word that ends the sentence or the
/// clause (end of text, punctuation, `and`, `or`, `but`) or comes before a preposition or a time
/// word, is singular-looking, and is not a word that stays the same in the plural.
enum NumberAgreement {
    static let numbers: Set<String> = [
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
        "thirty", "forty", "fifty", "hundred", "thousand", "many", "several",
    ]
    static let clauseEnds: Set<String> = Category.prepositions.union([
        ".", ",", "!", "?", ";", ":", "and", "or", "but", "this", "that", "because", "yesterday", "today",
        "tomorrow", "now", "last", "next", "every",
    ])
    /// Plurals already, or the same in both numbers, or not nouns that follow a number.
    static let unchanged: Set<String> = [
        "people", "children", "men", "women", "feet", "teeth", "mice", "sheep", "fish", "deer", "police", "times",
        "more", "less", "of", "or", "and", "too", "each", "hours", "years", "days", "minutes", "weeks", "months",
        "percent", "dollars", "rupiah", "kg", "km", "am", "pm", "o'clock", "ago", "later", "before", "after", "times",
        "myself", "yourself", "only", "again", "together", "all", "both", "things", "them", "us", "you",
        "hundred", "thousand", "million", "dozen", "other", "another", "different", "same", "time", "money",
        "water", "information", "homework", "advice", "food", "rice", "furniture", "luggage", "news", "work",
    ]

    /// Lints in Harper's shape (`kind: Agreement`), so they flow through the same pipeline.
    static func lints(_ text: String) -> [HarperLint] {
        let tokens = tokenize(text)
        var found: [HarperLint] = []
        for index in tokens.indices.dropLast() {
            let number = tokens[index].text.lowercased()
            let isNumeral = Int(number).map { $0 > 1 } ?? false
            let previous = index > 0 ? tokens[index - 1].text.lowercased() : ""
            // "a lot of", "lots of", "a few": quantifiers of more than one.
            let quantifier = number == "of" && ["lot", "lots"].contains(previous) || number == "few" && previous == "a"
            guard numbers.contains(number) || isNumeral || quantifier else { continue }
            let noun = tokens[index + 1]
            let word = noun.text
            guard word.count >= 2, word == word.lowercased(), word.allSatisfy(\.isLetter),
                !word.hasSuffix("s"), !unchanged.contains(word)
            else { continue }
            let next = index + 2 < tokens.count ? tokens[index + 2].text.lowercased() : "."
            guard clauseEnds.contains(next) else { continue }
            let plural = pluralise(word)
            let shown = quantifier ? "\(previous == "lots" ? "" : "a ")\(previous) \(number)" : tokens[index].text
            found.append(
                HarperLint(
                    rule: "CAKAP_NumberNoun", kind: "Agreement",
                    span: .init(charStart: noun.start, charEnd: noun.end),
                    message: "After “\(shown)” the noun is plural: “\(plural)”.",
                    suggestions: ["Replace with: “\(plural)”"], matchedText: word))
        }
        return found
    }

    static func pluralise(_ word: String) -> String {
        let irregular = [
            "man": "men", "woman": "women", "child": "children", "person": "people", "foot": "feet",
            "tooth": "teeth", "mouse": "mice", "knife": "knives", "life": "lives", "wife": "wives",
            "leaf": "leaves",
        ]  // fmt: skip
        if let plural = irregular[word] { return plural }
        if ["x", "z", "ch", "sh"].contains(where: word.hasSuffix) { return word + "es" }
        if word.hasSuffix("y"), let before = word.dropLast().last, !"aeiou".contains(before) {
            return word.dropLast() + "ies"
        }
        if word.hasSuffix("o"), ["potato", "tomato", "mango", "hero", "echo"].contains(word) { return word + "es" }
        return word + "s"
    }
}

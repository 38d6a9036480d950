/// A rule Harper lacks: a count noun after a number above one must be plural ("I has two cat" →
/// "cats"). Precision first: only a number word or numeral above one, then one lower-case word
/// that ends the sentence or the clause (end of text, punctuation, `and`, `or`, `but`), is
/// singular-looking, and is not a word that stays the same in the plural.
enum NumberAgreement {
    static let numbers: Set<String> = [
        "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "twenty",
        "thirty", "forty", "fifty", "hundred", "thousand", "many", "several",
    ]
    static let clauseEnds: Set<String> = [".", ",", "!", "?", ";", ":", "and", "or", "but"]
    /// Plurals already, or the same in both numbers, or not nouns that follow a number.
    static let unchanged: Set<String> = [
        "people", "children", "men", "women", "feet", "teeth", "mice", "sheep", "fish", "deer", "police", "times",
        "more", "less", "of", "or", "and", "too", "each", "hours", "years", "days", "minutes", "weeks", "months",
        "percent", "dollars", "rupiah", "kg", "km", "am", "pm", "o'clock", "ago", "later", "before", "after", "times",
        "myself", "yourself", "only", "again", "together", "all", "both", "things", "them", "us", "you",
    ]

    /// Lints in Harper's shape (`kind: Agreement`), so they flow through the same pipeline.
    static func lints(_ text: String) -> [HarperLint] {
        let tokens = tokenize(text)
        var found: [HarperLint] = []
        for index in tokens.indices.dropLast() {
            let number = tokens[index].text.lowercased()
            let isNumeral = Int(number).map { $0 > 1 } ?? false
            guard numbers.contains(number) || isNumeral else { continue }
            let noun = tokens[index + 1]
            let word = noun.text
            guard word.count >= 2, word == word.lowercased(), word.allSatisfy(\.isLetter),
                !word.hasSuffix("s"), !unchanged.contains(word)
            else { continue }
            let next = index + 2 < tokens.count ? tokens[index + 2].text.lowercased() : "."
            guard clauseEnds.contains(next) else { continue }
            let plural = pluralise(word)
            found.append(
                HarperLint(
                    rule: "CAKAP_NumberNoun", kind: "Agreement",
                    span: .init(charStart: noun.start, charEnd: noun.end),
                    message: "After “\(tokens[index].text)” the noun is plural: “\(plural)”.",
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

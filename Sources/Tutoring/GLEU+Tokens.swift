import Foundation

/// JFLEG's files are tokenised ("he 's", "do n't", "However , it"); learners do not write so.
/// Fed as they are, Harper reads "he 's" as a misspelt "s" ("so") and "do n't" as words to merge,
/// and a comma it inserts lands as "However," where the references have "However ,". The
/// evaluation therefore gives the tutor the text as a learner writes it (`detokenize`) and
/// tokenises its output again (`tokenize`) before GLEU, as JFLEG's own evaluation expects of a
/// system that reads plain text. The round trip leaves the source's GLEU unchanged (0.383).
extension GLEU {
    /// Clitics JFLEG writes as tokens of their own.
    static let clitics = ["n't", "'s", "'re", "'ve", "'ll", "'d", "'m"]

    /// The tokenised `text` as plain text: clitics and closing punctuation joined to the word before.
    public static func detokenize(_ text: String) -> String {
        var result = ""
        for token in tokens(text) {
            let joins =
                clitics.contains(token.lowercased()) || [",", ".", "!", "?", ";", ":", "%", ")"].contains(token)
            if !result.isEmpty, !joins, !result.hasSuffix("(") { result += " " }
            result += token
        }
        return result
    }

    /// Plain text in JFLEG's tokens: punctuation and clitics split from words ("can't" → "ca n't").
    public static func tokenize(_ text: String) -> String {
        var output: [Substring] = []
        for token in tokens(text) {
            var word = token
            var before: [Substring] = []
            var after: [Substring] = []
            while word.count > 1, let first = word.first, "\"(“".contains(first) {
                before.append(word.prefix(1))
                word = word.dropFirst()
            }
            if word.count > 3, word.hasSuffix("...") {
                after.append(word.suffix(3))
                word = word.dropLast(3)
            }
            while word.count > 1, let last = word.last, ",.!?;:\")”".contains(last), !keepsItsDot(word) {
                after.insert(word.suffix(1), at: 0)
                word = word.dropLast()
            }
            output += before + splitClitic(word) + after
        }
        return output.joined(separator: " ")
    }

    /// "..." and "A." keep their dots.
    static func keepsItsDot(_ word: Substring) -> Bool {
        word.allSatisfy { $0 == "." } || word.count == 2 && word.first!.isUppercase && word.last == "."
    }

    static func splitClitic(_ word: Substring) -> [Substring] {
        let lowered = word.lowercased()
        if lowered == "can't" || lowered == "won't" { return [word.prefix(2), word.dropFirst(2)] }
        for clitic in clitics where lowered.hasSuffix(clitic) && lowered.count > clitic.count {
            return [word.dropLast(clitic.count), word.suffix(clitic.count)]
        }
        return [word]
    }
}

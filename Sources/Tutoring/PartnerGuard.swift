import Foundation

/// Cleans a chat partner's reply before the learner reads it (issue 17). A 135M model runs away
/// ("Max, Max, Max …"), writes the learner's next turn, invents words and claims the learner's
/// name; sampling options make that rarer, this makes it never reach the learner:
///
/// 1. cut at the first leaked template or role token (`<|im_end|>`, `<start_of_turn>`, a line
///    starting `User:` …), since everything after it is a made-up turn;
/// 2. per sentence: drop repeats of an earlier sentence, cut a sentence where a phrase starts
///    repeating, drop sentences with a word that is neither English (the CEFR word list) nor in
///    the conversation, drop sentences where the partner claims a name or speaks as the learner;
/// 3. keep at most three sentences and 45 words, ending at the first question;
/// 4. with no question left, add the scenario's next curated follow-up question.
///
/// Indonesian input gets a fixed, gentle switch to English with an easy question instead of
/// whatever the model wrote (R-APP-1).
public enum PartnerGuard {
    /// The cleaned reply and what was done to it (for the eval report and logs).
    public struct Result: Sendable, Equatable, Encodable {
        public var reply: String
        public var notes: [String]
    }

    /// Most sentences kept.
    public static let maxSentences = 3
    /// Most words kept (the eval's limit is 50).
    public static let maxWords = 45

    /// Words accepted although the CEFR list lacks them: the partner's name, interjections,
    /// contractions' stems.
    static let alsoEnglish: Set<String> = [
        "cakap", "ok", "okay", "hi", "hey", "hello", "wow", "oh", "yeah", "yes", "no", "um", "hmm", "ah", "cool",
        "i", "a", "ca", "wo", "sha", "indonesia", "indonesian", "english", "internet", "online", "weekend", "favourite",
        "practise", "colour", "centre", "tv", "app", "apps", "email",
    ]

    /// The phrase the guard uses when the learner wrote Indonesian.
    public static let switchToEnglish = "Ayo coba dalam bahasa Inggris! Let's chat in English, so you can practise."

    /// The reply as the learner should read it.
    /// - Parameters:
    ///   - conversation: the turns so far, ending with the learner's turn being answered.
    ///   - scenario: the topic card; free conversation when nil.
    ///   - indonesian: the learner's last turn was Indonesian.
    public static func clean(
        _ reply: String, conversation: [Turn], scenario: PartnerScenario?, wordLevels: WordLevels, indonesian: Bool
    ) -> Result {
        let scenario = scenario ?? .freeTalk
        if indonesian {
            return Result(
                reply: switchToEnglish + " " + (scenario.followUps.first ?? "What did you do today?"),
                notes: ["learner wrote Indonesian: fixed switch to English"])
        }
        var notes: [String] = []
        var text = cutAtLeakedTurn(reply, notes: &notes)
        text = text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        let known = conversationWords(conversation)
        let learnerText = conversation.filter { $0.role == "user" }.map(\.content)
        var kept: [String] = []
        var words = 0
        for sentence in sentences(of: text) {
            guard let accepted = review(sentence, kept: kept, known: known, learner: learnerText, wordLevels, &notes)
            else { continue }
            let count = accepted.split(separator: " ").count
            if kept.count == maxSentences || words + count > maxWords {
                notes.append("capped at \(kept.count) sentences")
                break
            }
            kept.append(accepted)
            words += count
            if accepted.hasSuffix("?") { break }
        }
        if !kept.contains(where: { $0.hasSuffix("?") }) {
            let followUp = scenario.nextFollowUp(after: conversation)
            if kept.count >= maxSentences { kept = Array(kept.prefix(maxSentences - 1)) }
            // The question counts too: 44 kept words plus a follow-up made replies of 47–52 words.
            let wordCount = { (sentences: [String]) in sentences.reduce(0) { $0 + $1.split(separator: " ").count } }
            while !kept.isEmpty, wordCount(kept + [followUp]) > maxWords { kept.removeLast() }
            if kept.isEmpty { kept.append(acknowledgement(conversation)) }
            kept.append(followUp)
            notes.append("added the scenario's follow-up question")
        }
        return Result(reply: kept.joined(separator: " "), notes: notes)
    }

    /// The reply up to the first template token or role label; a leading `Cakap:` is removed.
    public static func cutAtLeakedTurn(_ reply: String, notes: inout [String]) -> String {
        var text = reply
        for prefix in ["Cakap:", "Assistant:", "assistant:", "Partner:"] where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
        }
        var cut = text.endIndex
        for token in ["<|", "<start_of_turn>", "<end_of_turn>", "</s>", "<s>", "[INST]", "[/INST]", "###", "<<SYS>>"] {
            if let range = text.range(of: token), range.lowerBound < cut { cut = range.lowerBound }
        }
        var lineStart = text.startIndex
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let label = line.trimmingCharacters(in: .whitespaces).lowercased()
            let roles = [
                "user", "student", "learner", "assistant", "cakap", "you", "me", "human", "ai", "system", "partner",
            ]
            if roles.contains(where: { label.hasPrefix($0 + ":") }), lineStart < cut { cut = lineStart }
            lineStart = text.index(lineStart, offsetBy: line.count + 1, limitedBy: text.endIndex) ?? text.endIndex
        }
        if cut < text.endIndex { notes.append("cut a leaked turn or template token") }
        return String(text[..<cut])
    }

    /// Sentences ending in `.`, `!` or `?` (the last one may have no end mark).
    public static func sentences(of text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if ".!?".contains(character) {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if trimmed.count > 1 { result.append(trimmed) }
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespaces)
        if rest.split(separator: " ").count >= 3 { result.append(rest + ".") }
        return result.filter { $0.contains { $0.isLetter } }
    }

    /// The sentence as kept (maybe shortened), or nil to drop it.
    static func review(
        _ sentence: String, kept: [String], known: Set<String>, learner: [String], _ wordLevels: WordLevels,
        _ notes: inout [String]
    ) -> String? {
        let normalized = words(of: sentence).joined(separator: " ")
        if kept.contains(where: { words(of: $0).joined(separator: " ") == normalized }) {
            notes.append("dropped a repeated sentence")
            return nil
        }
        var sentence = sentence
        if let shortened = cutRepetition(sentence) {
            notes.append("cut runaway repetition")
            guard shortened.split(separator: " ").count >= 3 else { return nil }
            sentence = shortened
        }
        let unknown = words(of: sentence).filter { !isEnglish($0, known: known, wordLevels) }
        if !unknown.isEmpty {
            notes.append("dropped a sentence with non-English words: \(unknown.prefix(3).joined(separator: ", "))")
            return nil
        }
        if claimsIdentity(sentence, learner: learner) {
            notes.append("dropped a sentence speaking as the learner")
            return nil
        }
        return sentence
    }

    /// Lowercased words (letters and apostrophes) of a text.
    public static func words(of text: String) -> [String] {
        tokenize(text).map { $0.text.lowercased().replacingOccurrences(of: "’", with: "'") }
            .filter { $0.first?.isLetter == true }
    }

    public static func isEnglish(_ word: String, known: Set<String>, _ wordLevels: WordLevels) -> Bool {
        if wordLevels.isEmpty || known.contains(word) || alsoEnglish.contains(word) { return true }
        let stem =
            ["n't", "'s", "'m", "'re", "'ve", "'ll", "'d", "'"].first { word.hasSuffix($0) }
            .map { String(word.dropLast($0.count)) } ?? word
        return alsoEnglish.contains(stem) || wordLevels.level(of: stem) != nil
    }

    /// Words a reply may use although the word list lacks them: the partner's own earlier words
    /// (already reviewed) and the learner's (names such as "Persib", dishes such as "nasi goreng"),
    /// but never an Indonesian function word: a reply echoing "Saya biasanya …" back is exactly the
    /// made-up non-English the guard keeps out (seen in `cakap eval partner`).
    public static func conversationWords(_ conversation: [Turn]) -> Set<String> {
        let assistant = conversation.filter { $0.role == "assistant" }.flatMap { words(of: $0.content) }
        let learner = conversation.filter { $0.role == "user" }.flatMap { words(of: $0.content) }
        return Set(assistant).union(learner.filter { !LanguageGuess.indonesian.contains($0) })
    }

    /// The sentence shortened before a phrase repeats: a word three times in a row, or a
    /// three-word phrase a second time; nil when nothing repeats.
    static func cutRepetition(_ sentence: String) -> String? {
        let parts = sentence.split(separator: " ")
        let plain = parts.map { String($0).lowercased().filter { $0.isLetter || $0.isNumber || $0 == "'" } }
        var seen: Set<String> = []
        for index in plain.indices {
            if index >= 2, !plain[index].isEmpty, plain[index] == plain[index - 1], plain[index] == plain[index - 2] {
                return shortened(parts, before: index - 1)
            }
            if index >= 2 {
                let gram = plain[(index - 2)...index].joined(separator: " ")
                if seen.contains(gram) { return shortened(parts, before: index - 2) }
                seen.insert(gram)
            }
        }
        return nil
    }

    static func shortened(_ parts: [Substring], before index: Int) -> String {
        var text = parts.prefix(max(index, 0)).joined(separator: " ")
        while let last = text.last, !last.isLetter && !last.isNumber { text.removeLast() }
        return text + "."
    }

    /// "I'm Budi", "My name is Budi", "my name's Budi" (any name but Cakap), or a sentence in the first person that
    /// repeats four words of the learner's own turns.
    public static func claimsIdentity(_ sentence: String, learner: [String]) -> Bool {
        let lowered = words(of: sentence)
        let parts = sentence.split(separator: " ").map { $0.filter { $0.isLetter || $0 == "'" || $0 == "’" } }
        for (index, part) in parts.enumerated() where index + 1 < parts.count {
            let next = parts[index + 1]
            let introduces =
                ["I'm", "I’m", "Im"].contains(part) || ["name's", "name’s"].contains(part.lowercased())
                || (part == "is" && index > 0 && parts[index - 1] == "name")
                || (part == "am" && index > 0 && parts[index - 1] == "I")
            if introduces, next.first?.isUppercase == true, next != "Cakap", next != "I" { return true }
        }
        guard lowered.first == "i" || lowered.first == "my" || lowered.first == "i'm" else { return false }
        let grams = Set(lowered.indices.dropLast(3).map { lowered[$0...($0 + 3)].joined(separator: " ") })
        return learner.contains { turn in
            let own = words(of: turn)
            return own.indices.dropLast(3).contains { grams.contains(own[$0...($0 + 3)].joined(separator: " ")) }
        }
    }

    /// A short, neutral acknowledgement when nothing of the model's reply could be kept.
    static func acknowledgement(_ conversation: [Turn]) -> String {
        let options = ["That sounds interesting.", "Thanks for telling me.", "I see.", "Nice!"]
        return options[conversation.filter { $0.role == "assistant" }.count % options.count]
    }
}

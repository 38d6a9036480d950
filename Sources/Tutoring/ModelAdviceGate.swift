/// The quality gate for the model's better words and tips (issue 18): the model may add to the
/// advice written from rules, never replace it or add noise. gemma3:270m answered with the
/// learner's sentence copied into every field; such answers never reach a learner.
///
/// A better word passes when its original is words the learner wrote (whole words), the
/// suggestion is a short phrase (≤ 4 words) that differs from it, is not already in the text, and
/// is no easier by the CEFR word levels. A tip passes when it is 20–240 characters, does not
/// contain the learner's sentence (or most of its words) and is not a duplicate.
/// `cakap eval feedback --llm URL --advice` measures how many of a model's items pass; turn the
/// model's advice on (`cakap tutor --model-advice`) only for a model whose items mostly pass.
public enum ModelAdviceGate {
    public static func accepts(_ word: Advice.BetterWord, text: String, wordLevels: WordLevels) -> Bool {
        let original = word.original.trimmingCharacters(in: .whitespacesAndNewlines)
        let suggestion = word.suggestion.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !original.isEmpty, !suggestion.isEmpty, original.lowercased() != suggestion.lowercased(),
            tokenize(suggestion).count <= 4, tokenize(original).count <= 4,
            LearnerAdvice.find(original, in: text) != nil, LearnerAdvice.find(suggestion, in: text) == nil
        else { return false }
        return LearnerAdvice.upgrades(original, to: suggestion, wordLevels)
    }

    public static func accepts(_ tip: String, text: String) -> Bool {
        let trimmed = tip.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (20...240).contains(trimmed.count), !trimmed.lowercased().contains(text.lowercased()) else {
            return false
        }
        // A copy of the learner's words is not a tip.
        let learner = Set(tokenize(text).map { $0.text.lowercased() })
        let words = tokenize(trimmed).map { $0.text.lowercased() }
        let copied = words.filter(learner.contains).count
        return Double(copied) < 0.7 * Double(max(words.count, 1))
    }

    /// The rule-based advice with the model's items that pass added after it (within the limits).
    public static func merge(_ rules: Advice, _ model: Advice, text: String, wordLevels: WordLevels) -> Advice {
        var merged = rules
        for word in model.betterWords where accepts(word, text: text, wordLevels: wordLevels) {
            guard merged.betterWords.count < LearnerAdvice.maxBetterWords,
                !merged.betterWords.contains(where: { $0.original.lowercased() == word.original.lowercased() })
            else { continue }
            merged.betterWords.append(word)
        }
        for tip in model.tips where accepts(tip, text: text) && !merged.tips.contains(tip) {
            guard merged.tips.count < LearnerAdvice.maxTips else { break }
            merged.tips.append(tip)
        }
        return merged
    }
}

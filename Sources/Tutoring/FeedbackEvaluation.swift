import Foundation

/// One sentence of a learner-error dev set (`tests/data/feedback-dev.jsonl`): the text and the
/// findings a teacher expects, with Unicode-scalar spans.
public struct DevSentence: Sendable, Decodable {
    public struct Finding: Sendable, Decodable {
        public var start: Int
        public var end: Int
        public var span: String
        public var category: String
        public var correction: String
    }
    public var id: Int
    public var text: String
    public var findings: [Finding]

    /// The text with every expected correction applied.
    public var corrected: String {
        TextEdit.apply(findings.map { TextEdit(start: $0.start, end: $0.end, replacement: $0.correction) }, to: text)
    }
}

/// Precision and recall of the tutor's findings against a dev set (issue 18). A finding is right
/// when it overlaps an expected finding's words (each expected finding counts once); its category
/// and its first replacement are compared separately.
public struct FeedbackEvaluation: Sendable {
    public struct Counts: Sendable {
        public var predicted = 0
        public var correct = 0
        public var expected = 0
        public var found = 0

        public init() {}
    }
    /// Per category: `predicted`/`correct` by the tutor's category, `expected`/`found` by the dev set's.
    public var byCategory: [String: Counts] = [:]
    public var total = Counts()
    public var sameCategory = 0
    public var sameCorrection = 0
    public var messagesWithFinding = 0
    public var withBetterWords = 0
    public var withTips = 0
    public var withEither = 0
    public var sentencesCorrected = 0
    public var sentences = 0
    /// Findings on no expected words, and expected findings not found: (sentence id, text).
    public var falsePositives: [(Int, String)] = []
    public var misses: [(Int, String)] = []

    public init() {}

    public var precision: Double { Double(total.correct) / Double(max(total.predicted, 1)) }
    public var recall: Double { Double(total.found) / Double(max(total.expected, 1)) }

    /// Adds one sentence's feedback.
    public mutating func add(_ sentence: DevSentence, _ feedback: Feedback) {
        sentences += 1
        let scalars = Array(sentence.text.unicodeScalars)
        // Matches carry UTF-16 offsets; the dev set scalar offsets.
        var utf16 = [0]
        for scalar in scalars { utf16.append(utf16.last! + (scalar.value > 0xFFFF ? 2 : 1)) }
        let expected = sentence.findings.map { (start: utf16[$0.start], end: utf16[$0.end], finding: $0) }
        var matchedExpected = Set<Int>()
        for match in feedback.matches {
            let category = match.rule.category.rawValue
            byCategory[category, default: Counts()].predicted += 1
            total.predicted += 1
            let hit = expected.indices.first {
                expected[$0].start < match.offset + match.length && match.offset < expected[$0].end
            }
            let shown = String(
                decoding: Array(sentence.text.utf16)[match.offset..<match.offset + match.length], as: UTF16.self)
            guard let hit else {
                falsePositives.append(
                    (sentence.id, "“\(shown)” → “\(match.replacements.first ?? "")” [\(category)] in: \(sentence.text)")
                )
                continue
            }
            byCategory[category, default: Counts()].correct += 1
            total.correct += 1
            if expected[hit].finding.category == category { sameCategory += 1 }
            if match.replacements.first == expected[hit].finding.correction { sameCorrection += 1 }
            matchedExpected.insert(hit)
        }
        for (index, item) in expected.enumerated() {
            byCategory[item.finding.category, default: Counts()].expected += 1
            total.expected += 1
            if matchedExpected.contains(index) {
                byCategory[item.finding.category, default: Counts()].found += 1
                total.found += 1
            } else {
                misses.append(
                    (
                        sentence.id,
                        "“\(item.finding.span)” → “\(item.finding.correction)” [\(item.finding.category)] in: \(sentence.text)"
                    ))
            }
        }
        if feedback.corrected == sentence.corrected { sentencesCorrected += 1 }
        guard !feedback.matches.isEmpty else { return }
        messagesWithFinding += 1
        let words = !feedback.advice.betterWords.isEmpty
        let tips = !feedback.advice.tips.isEmpty
        if words { withBetterWords += 1 }
        if tips { withTips += 1 }
        if words || tips { withEither += 1 }
    }
}

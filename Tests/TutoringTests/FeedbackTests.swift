import Foundation
import Testing

@testable import Tutoring

/// The feedback pipeline over a fake checker and a fake model (issue 5: spans from code, a
/// category and an explanation per finding, no "correction" equal to the original).
@Suite struct FeedbackTests {
    struct FakeModel: TutorModel {
        var corrections: [String: String]
        var failing = false

        func correct(_ text: String) async throws -> String {
            if failing { throw CancellationError() }
            return corrections[text] ?? text
        }

        func advise(_ text: String, corrected: String, language: Language) async throws -> Advice {
            Advice(betterWords: [.init(original: "very big", suggestion: "huge", reason: "stronger")], tips: ["tip"])
        }
    }

    struct FakeChecker: GrammarChecker {
        var lints: [String: [HarperLint]] = [:]
        func check(_ texts: [String]) async throws -> [[HarperLint]] { texts.map { lints[$0] ?? [] } }
    }

    static func lint(_ kind: String, _ rule: String, _ start: Int, _ end: Int, _ suggestion: String) -> HarperLint {
        HarperLint(
            rule: rule, kind: kind, span: .init(charStart: start, charEnd: end), message: "Harper says so",
            suggestions: [suggestion], matchedText: "")
    }

    @Test func alignmentFindsEachEditWithItsCategory() {
        let edits = align(
            original: "I goes to the market yesterday and buyed three mango",
            rewrite: "I went to the market yesterday and bought three mangoes")
        #expect(edits.map(\.replacement) == ["went", "bought", "mangoes"])
        #expect(Category.of(edits) == [.verbForm, .verbForm, .agreement])
        #expect(edits[0].start == 2 && edits[0].end == 6)
    }

    @Test func insertionsMarkTheNextWordAndCategoriesCoverTheCommonCases() {
        let inserted = align(original: "I have apple.", rewrite: "I have an apple.")
        #expect(inserted.count == 1 && inserted[0].replacement == "an apple" && Category.of(inserted[0]) == .article)
        #expect(Category.of(align(original: "i like it", rewrite: "I like it")[0]) == .capitalisation)
        #expect(Category.of(align(original: "I am good in math", rewrite: "I am good at math")[0]) == .preposition)
        #expect(Category.of(align(original: "She are happy", rewrite: "She is happy")[0]) == .agreement)
        #expect(
            Category.of(align(original: "I very like it", rewrite: "I like it very")).allSatisfy { $0 == .wordOrder })
        #expect(Category.of(align(original: "It is beatiful", rewrite: "It is beautiful")[0]) == .spelling)
        #expect(Category.of(align(original: "Hello how are you", rewrite: "Hello, how are you")[0]) == .punctuation)
        #expect(align(original: "All good here.", rewrite: "All good here.").isEmpty)
    }

    @Test func harperAndTheRewriteCombineWithUTF16SpansAndNoEmptyCorrections() async throws {
        let text = "😀 I goes home and buyed rice"
        // Harper (scalar offsets: the emoji is one scalar) finds "buyed"; a Formatting lint is dropped.
        let checker = FakeChecker(lints: [
            text: [
                Self.lint("Grammar", "RegularIrregulars", 18, 23, "Replace with: “bought”"),
                Self.lint("Formatting", "Spaces", 1, 2, "Remove error"),
                Self.lint("Spelling", "Same", 9, 13, "Replace with: “home”"),  // equals the original: dropped
            ]
        ])
        let model = FakeModel(corrections: [text: "😀 I go home and bought rice"])
        let feedback = try await FeedbackEngine(checker: checker, model: model).feedback(for: text, language: .en)
        #expect(feedback.corrected == "😀 I go home and bought rice")
        #expect(feedback.matches.map(\.rule.id) == ["REWRITE_verb_form", "HARPER_RegularIrregulars"])
        let utf16 = Array(text.utf16)
        for match in feedback.matches {
            #expect(match.offset >= 0 && match.offset + match.length <= utf16.count)
            let original = String(
                utf16CodeUnits: Array(utf16[match.offset..<match.offset + match.length]), count: match.length)
            #expect(!match.replacements.contains(original))
        }
        let goes = feedback.matches[0]
        #expect(
            String(utf16CodeUnits: Array(utf16[goes.offset..<goes.offset + goes.length]), count: goes.length) == "goes")
        // The tip is written from the finding; the fake model's "tip" is too short for the gate.
        #expect(feedback.advice.tips.count == 1 && feedback.advice.tips[0].hasPrefix("You wrote “goes”"))
    }

    @Test func anImplausibleOrFailedRewriteIsIgnored() async throws {
        let text = "I goes home"
        let checker = FakeChecker(lints: [
            text: [Self.lint("Agreement", "PronounVerbAgreement", 2, 6, "Replace with: “go”")]
        ])
        for model in [
            FakeModel(corrections: [text: "Here is the corrected sentence: I go home, my friend, as you asked me to."]),
            FakeModel(corrections: [:], failing: true),
        ] {
            let feedback = try await FeedbackEngine(checker: checker, model: model).feedback(for: text, language: .id)
            #expect(feedback.corrected == "I go home")  // Harper's correction instead
            #expect(feedback.matches.count == 1)
            #expect(feedback.matches[0].shortMessage == "Kesesuaian")  // Indonesian explanation
        }
    }
}

/// A model that never answers must not hold the feedback.
@Suite struct FeedbackDeadlineTests {
    struct StuckModel: TutorModel {
        func correct(_ text: String) async throws -> String {
            try await Task.sleep(for: .seconds(60))
            return text
        }
        func advise(_ text: String, corrected: String, language: Language) async throws -> Advice {
            try await Task.sleep(for: .seconds(60))
            return .none
        }
    }

    @Test func aStuckModelIsCutOffAtTheDeadline() async throws {
        let text = "I goes home"
        let checker = FeedbackTests.FakeChecker(lints: [
            text: [FeedbackTests.lint("Agreement", "PronounVerbAgreement", 2, 6, "Replace with: “go”")]
        ])
        let started = ContinuousClock.now
        let feedback = try await FeedbackEngine(
            checker: checker, model: StuckModel(), modelDeadline: .milliseconds(300)
        )
        .feedback(for: text, language: .en)
        // Far below the model's 60 s, far above the jitter of a busy 2-core machine.
        #expect(ContinuousClock.now - started < .seconds(20))
        // Only what the rules wrote: the stuck model added nothing.
        #expect(feedback.corrected == "I go home" && feedback.advice.betterWords.isEmpty)
        #expect(feedback.advice.tips.count == 1 && feedback.advice.tips[0].hasPrefix("You wrote “goes”"))
    }
}

@Suite struct WithinTests {
    @Test func withinCutsOffAStuckModel() async {
        let started = ContinuousClock.now
        let model = FeedbackDeadlineTests.StuckModel()
        let value: String? = await FeedbackEngine.within(.milliseconds(200)) { try await model.correct("x") }
        #expect(value == nil)
        // Far below the model's 60 s, far above the jitter of a busy 2-core machine.
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func withinCutsOff() async {
        let started = ContinuousClock.now
        let value: Int? = await FeedbackEngine.within(.milliseconds(200)) {
            try await Task.sleep(for: .seconds(60))
            return 1
        }
        #expect(value == nil)
        // Far below the model's 60 s, far above the jitter of a busy 2-core machine.
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}

import Foundation
import Testing

@testable import Tutoring

/// Issue 18 (R-APP-2): which of Harper's lints a learner sees and how. The spelling suggestion a
/// learner meant comes first, in the finding and in `corrected` (Harper's order stays where the
/// word list cannot tell); punctuation mistakes are shown, punctuation habits are not.
@Suite struct ShownLintsTests {
    /// Real levels from cefrpy's list (`word-levels.tsv`).
    static let levels = WordLevels(levels: [
        "writing": 2.0, "writhing": 6.0, "witting": 4.0, "coming": 1.0, "combing": 3.0, "cumming": 5.72,
        "feelings": 1.0, "filings": 2.5, "felines": 6.0, "deadly": 3.0, "dearly": 4.0, "deeply": 2.0, "wish": 1.5,
        "which": 1.0, "wick": 6.0, "int": 5.42, "rested": 3.0, "interested": 1.0, "fashion": 2.0, "because": 1.0,
        "become": 1.0, "blouse": 6.0, "the": 1.0, "thee": 1.0, "their": 1.0, "ring": 1.5, "rind": 6.0,
    ])

    static func spelling(_ text: String, _ word: String, _ suggestions: [String]) -> HarperLint {
        let start = text.range(of: word)!.lowerBound.utf16Offset(in: text)
        return HarperLint(
            rule: "SpellCheck", kind: "Spelling", span: .init(charStart: start, charEnd: start + word.count),
            message: "Did you mean to spell “\(word)” this way?",
            suggestions: suggestions.map { "Replace with: “\($0)”" }, matchedText: word)
    }

    @Test func theCommonWordCloseToWhatWasTypedComesFirst() {
        // Harper's own orders for these misspellings in jfleg-dev.
        let cases: [(String, [String], String)] = [
            ("writting", ["writhing", "witting", "writing"], "writing"),
            ("comming", ["cumming", "combing", "coming"], "coming"),
            ("felings", ["filings", "feelings", "felines"], "feelings"),
            ("deaply", ["deadly", "dearly", "deeply"], "deeply"),
            ("wich", ["wish", "which", "wick"], "which"),
        ]
        for (typed, suggestions, meant) in cases {
            #expect(SpellingChoice.ranked(suggestions, for: typed, wordLevels: Self.levels).first == meant)
        }
        // A split or an added apostrophe is rarely what was meant.
        #expect(
            SpellingChoice.ranked(["int rested", "interested"], for: "intrested", wordLevels: Self.levels).first
                == "interested")
        #expect(
            SpellingChoice.ranked(["fashion's", "fashion"], for: "fashional", wordLevels: Self.levels).first
                == "fashion")
    }

    @Test func harpersOrderStaysWhenItIsAlreadyTheBestOrNothingIsKnown() {
        // "because" and "become" are equally common; "because" is closer and Harper's first.
        #expect(
            SpellingChoice.ranked(["because", "become", "blouse"], for: "becouse", wordLevels: Self.levels)
                == ["because", "become", "blouse"])
        // "the" (one letter dropped) before "thee", as Harper has it.
        #expect(SpellingChoice.ranked(["the", "thee", "their"], for: "thhe", wordLevels: Self.levels).first == "the")
        // No word list: Harper's order.
        #expect(
            SpellingChoice.ranked(["wish", "which", "wick"], for: "wich", wordLevels: WordLevels(levels: [:]))
                == ["wish", "which", "wick"])
        #expect(SpellingChoice.editDistance("teh", "the") == 1)
        #expect(SpellingChoice.editDistance("writting", "writing") == 1)
    }

    @Test func theFeedbackShowsAndAppliesTheRankedSuggestion() async throws {
        let text = "I like writting stories."
        let lint = Self.spelling(text, "writting", ["writhing", "witting", "writing"])
        let engine = FeedbackEngine(
            checker: FeedbackTests.FakeChecker(lints: [text: [lint]]),
            model: FeedbackTests.FakeModel(corrections: [:]), wordLevels: Self.levels, modelUse: [])
        let feedback = try await engine.feedback(for: text, language: .en)
        #expect(feedback.matches.first?.replacements == ["writing", "witting", "writhing"])
        #expect(feedback.corrected == "I like writing stories.")
        // A name is still left alone, whatever its suggestions.
        let name = "I met Rina yesterday."
        let rina = Self.spelling(name, "Rina", ["Rind", "Ring"])
        let named = try await FeedbackEngine(
            checker: FeedbackTests.FakeChecker(lints: [name: [rina]]),
            model: FeedbackTests.FakeModel(corrections: [:]), wordLevels: Self.levels, modelUse: []
        ).feedback(for: name, language: .en)
        #expect(named.matches.isEmpty && named.corrected == name)
    }

    @Test func punctuationMistakesAreShownAndHabitsAreNot() {
        let text = "However its raining , so I stay home ."
        let lints = [
            HarperLint(
                rule: "DiscourseMarkers", kind: "Punctuation", span: .init(charStart: 0, charEnd: 7), message: "",
                suggestions: ["Insert “,”"], matchedText: "However"),
            HarperLint(
                rule: "ItsContraction", kind: "Punctuation", span: .init(charStart: 8, charEnd: 11), message: "",
                suggestions: ["Replace with: “it's”"], matchedText: "its"),
            // Spacing before a comma is a typing habit, not a mistake to mark in chat.
            HarperLint(
                rule: "Spaces", kind: "Formatting", span: .init(charStart: 19, charEnd: 20), message: "",
                suggestions: ["Remove error"], matchedText: " "),
            HarperLint(
                rule: "NoSpaceBeforePunctuation", kind: "Punctuation", span: .init(charStart: 19, charEnd: 21),
                message: "", suggestions: ["Replace with: “,”"], matchedText: " ,"),
        ]
        let shown = FeedbackEngine.shownLints(harper: lints, text: text, wordLevels: Self.levels).lints
        #expect(shown.map(\.rule) == ["DiscourseMarkers", "ItsContraction"])
        #expect(TextEdit.apply(shown.compactMap(\.firstEdit), to: text) == "However, it's raining , so I stay home .")
    }

    /// JFLEG's tokenised text as a learner writes it and back (the GEC evaluation's round trip).
    @Test func jflegTextRoundTrips() {
        let tokenised = "However , he 's sure they do n't know ( or care ) ."
        let plain = GLEU.detokenize(tokenised)
        #expect(plain == "However, he's sure they don't know (or care).")
        #expect(GLEU.tokenize(plain) == tokenised)
        #expect(GLEU.tokenize("I can't go, it's late...") == "I ca n't go , it 's late ...")
        #expect(GLEU.tokenize("Mr. A. Smith won't.") == "Mr . A. Smith wo n't .")
    }
}

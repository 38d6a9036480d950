import Foundation
import ServiceShell
import Testing

@testable import Tutoring

/// Scores (R-APP-5), the chat partner (R-APP-1), recurring mistakes (R-APP-8) and the tutor's
/// route table, over fakes.
@Suite struct ScoresAndPartnerTests {
    static let levels = WordLevels(tsv: "i\t1.00\nhave\t1.00\ntwo\t1.00\ncat\t1.00\nmeticulous\t5.50\nthe\t1.00\n")

    struct FakeEmbedder: TextEmbedder {
        /// A vector per text: texts sharing a word with "market" point the same way.
        func embed(_ texts: [String]) async throws -> [[Float]] {
            texts.map { $0.lowercased().contains("market") ? [1, 0, 0] : [0, 1, 0] }
        }
    }

    struct FakeJudge: ScoreJudge {
        func judge(_ learnerText: String) async throws -> Judgement {
            Judgement(overall: 4, reason: "Clear and varied.")
        }
    }

    struct FakeHistory: MistakeHistory {
        func earlierCategories(
            uid: String, conversationID: UUID, authorization: String
        ) async throws
            -> [Category: Int]
        {
            uid == "alice" && authorization == "Bearer t" ? [.spelling: 2] : [:]
        }
    }

    @Test(arguments: [
        ("Yesterday I goes to the market.", true),
        ("ok", true),
        ("def f(x): return x * 2", false),
        ("👍👍👍 😀", false),
        ("Saya tidak bisa bahasa Inggris dengan baik", false),
        ("مرحبا كيف حالك اليوم", false),
        ("{\"json\": true, \"a\": [1, 2, 3]}", false),
        (String(repeating: "word ", count: 130), false),
    ])
    func theModelIsAskedOnlyForEnglishLookingChatText(text: String, expected: Bool) {
        #expect(FeedbackEngine.worthTheModel(text) == expected)
    }

    @Test func aNounAfterANumberAboveOneIsPlural() async throws {
        #expect(NumberAgreement.lints("I has two cat").map(\.span.charStart) == [10])
        #expect(
            NumberAgreement.lints("I bought three mango and two box.").compactMap(\.firstEdit?.replacement) == [
                "mangoes", "boxes",
            ])
        #expect(
            NumberAgreement.lints("We have 3 baby, 1 cat and two cats.").compactMap(\.firstEdit?.replacement) == [
                "babies"
            ])
        #expect(NumberAgreement.lints("I have two big dogs. Two of them. I waited two hours.").isEmpty)
        // Through the pipeline: Harper's "has" and our "cat", both agreement, with Harper's first.
        let engine = FeedbackEngine(
            checker: FeedbackTests.FakeChecker(lints: [
                "I has two cat": [FeedbackTests.lint("Agreement", "PronounVerbAgreement", 2, 5, "Replace with: “have”")]
            ]), model: FeedbackTests.FakeModel(corrections: [:]))
        let feedback = try await engine.feedback(for: "I has two cat", language: .en)
        #expect(feedback.matches.map(\.rule.id) == ["HARPER_PronounVerbAgreement", "CAKAP_NumberNoun"])
        #expect(feedback.corrected == "I have two cats")
    }

    @Test func wordLevelsReadTheListAndTrySimpleInflections() {
        #expect(Self.levels.level(of: "Cats") == 1)
        #expect(Self.levels.level(of: "meticulously") == 5.5)
        #expect(Self.levels.level(of: "Jakarta") == nil)
        #expect(WordLevels.load(path: "/nonexistent").isEmpty)
    }

    @Test(arguments: [
        ("Saya tidak bisa bahasa Inggris dengan baik", true),
        ("aku mau makan nasi goreng di rumah", true),
        ("I went to the market with my friend", false),
        ("I like nasi goreng very much", false),
        ("ok", false),
    ])
    func indonesianIsDetectedByItsFunctionWords(text: String, indonesian: Bool) {
        #expect(LanguageGuess.isIndonesian(text) == indonesian)
    }

    @Test func thePartnerPromptAsksForEnglishWhenTheLearnerWroteIndonesianAndKeepsRecentTurns() {
        let many = (0..<30).map { Turn(role: $0 % 2 == 0 ? "user" : "assistant", content: "turn \($0)") }
        let plan = ChatPartner.plan(
            conversation: many + [Turn(role: "user", content: "Saya tidak tahu apa yang harus saya katakan")],
            level: nil, wordLevels: Self.levels)
        #expect(plan.language == .id)
        #expect(plan.messages.first?.role == "system")
        #expect(plan.messages.first?.content.contains("Indonesian") == true)
        #expect(plan.messages.count == ChatPartner.maxTurns + 1)
        #expect(plan.messages.last?.content.hasPrefix("Saya") == true)
        let english = ChatPartner.plan(
            conversation: [Turn(role: "user", content: "Hi! I went to the market.")], level: .a2,
            wordLevels: Self.levels)
        #expect(english.language == .en && english.level == .a2)
        #expect(english.messages[0].content.contains("never correct"))
        #expect(english.messages[0].content.contains("at most one question"))
        #expect(!english.messages[0].content.contains("Indonesian"))
    }

    @Test func featuresCountWordsSentencesErrorsAndConversationSignals() {
        let conversation = [
            Turn(role: "assistant", content: "Hi! What did you do at the market?"),
            Turn(role: "user", content: "Hello! I has two cat. I buy fish at the market, thanks?"),
            Turn(role: "assistant", content: "Nice. Do you cook?"),
            Turn(role: "user", content: "NO"),
        ]
        let lints: [[HarperLint]] = [
            [FeedbackTests.lint("Agreement", "SubjectVerb", 2, 5, "Replace with: “have”")],
            [FeedbackTests.lint("Spelling", "SpellCheck", 0, 2, "Replace with: “No”")],
        ]
        let features = ScoreFeatures.measure(conversation: conversation, lints: lints, wordLevels: Self.levels)
        #expect(features.words == 13)
        #expect(features.sentences == 4)
        #expect(features.questions == 1)
        #expect(abs(features.grammarErrorsPer100 - 100.0 / 13) < 1e-9)
        #expect(abs(features.spellingErrorsPer100 - 100.0 / 13) < 1e-9)
        #expect(features.errorsPer100ByCategory["agreement"] != nil)
        #expect(features.answeredShare == 0.5)  // the second question got one word
        #expect(features.politeMarkers == 2)  // hello, thanks
        #expect(features.shoutingShare == 0)  // "NO" has two letters
        #expect(features.turns == 2)
    }

    @Test func mtldIsHigherForVariedWordsThanForRepetition() {
        let varied = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches".split(
            separator: " "
        ).map(String.init)
        let repeated = Array(repeating: ["the", "cat", "is", "a", "cat"], count: 4).flatMap { $0 }
        #expect(ScoreFeatures.mtld(varied) > ScoreFeatures.mtld(repeated))
    }

    @Test func scoresAreNineInOrderWithinRangeWithReasonsAndTheJudgementMoves() async throws {
        let engine = ScoreEngine(
            checker: FeedbackTests.FakeChecker(), judge: FakeJudge(), embedder: FakeEmbedder(), wordLevels: Self.levels)
        let conversation = [
            Turn(role: "assistant", content: "What did you buy at the market?"),
            Turn(
                role: "user",
                content: """
                    I bought fish at the market. Thank you for asking! The market near my house is busy every \
                    morning, and the sellers there are friendly, so I go there twice a week. What about you?
                    """),
        ]
        let scores = try await engine.score(conversation: conversation, language: .en)
        #expect(scores.aspects.map(\.id) == Aspect.allCases.map(\.rawValue))
        #expect(scores.aspects.allSatisfy { (0...100).contains($0.score) && !$0.reason.isEmpty })
        #expect(scores.features.relevance == 1)  // both mention the market
        #expect(scores.judgement?.overall == 4)
        let indonesian = ScoreEngine.scores(features: scores.features, judgement: nil, language: .id)
        #expect(indonesian.aspects.first { $0.id == "grammar" }?.label == "Tata bahasa")
        let empty = ScoreEngine.scores(
            features: ScoreFeatures.measure(conversation: [], lints: [], wordLevels: Self.levels), judgement: nil,
            language: .en)
        #expect(empty.aspects.allSatisfy { $0.score == 0 })
    }

    @Test func moreMistakesNeverScoreHigherOnGrammar() {
        let clean = ScoreFeatures.measure(
            conversation: [Turn(role: "user", content: "I have two cats and I like them very much.")], lints: [[]],
            wordLevels: Self.levels)
        var messy = clean
        messy.grammarErrorsPer100 = 20
        messy.spellingErrorsPer100 = 10
        let grammar = { (features: ScoreFeatures) in
            ScoreEngine.scores(features: features, judgement: nil, language: .en).aspects.first { $0.id == "grammar" }!
                .score
        }
        #expect(grammar(messy) < grammar(clean))
    }

    @Test func correlationsMatchKnownValues() {
        #expect(abs(Correlation.pearson([1, 2, 3, 4], [2, 4, 6, 8]) - 1) < 1e-12)
        #expect(abs(Correlation.pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12)
        #expect(abs(Correlation.spearman([1, 2, 3, 4], [1, 4, 9, 100]) - 1) < 1e-12)
        #expect(Correlation.ranks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4])
        #expect(Correlation.pearson([1, 1, 1], [1, 2, 3]) == 0)
    }

    @Test func recurringMistakesComeFromThisConversationFirstThenEarlierOnes() {
        let current = [
            Match(
                offset: 0, length: 1, message: "", shortMessage: "", replacements: ["x"],
                rule: .init(id: "HARPER_A", category: .agreement)),
            Match(
                offset: 2, length: 1, message: "", shortMessage: "", replacements: ["y"],
                rule: .init(id: "HARPER_S", category: .spelling)),
        ]
        let found = Recurring.find(
            current: current, earlierTurns: [.agreement: 2], earlierConversations: [.spelling: 1, .agreement: 3],
            language: .en)
        #expect(found.map(\.scope) == [.thisConversation, .earlierConversations])
        #expect(found[0].message.contains("2 times"))
        #expect(found[1].message.contains("You did this before"))
        #expect(
            Recurring.categories(ofFeedback: [
                "matches": [["rule": ["category": "article"]], ["rule": ["category": "nope"]]]
            ])
                == [.article])
    }

    func api() -> TutorAPI {
        let checker = FeedbackTests.FakeChecker(lints: [
            "I has two cat": [FeedbackTests.lint("Agreement", "SubjectVerb", 2, 5, "Replace with: “have”")]
        ])
        return TutorAPI(
            feedback: FeedbackEngine(checker: checker, model: FeedbackTests.FakeModel(corrections: [:])),
            scores: ScoreEngine(checker: checker, judge: nil, embedder: nil, wordLevels: Self.levels),
            wordLevels: Self.levels, history: FakeHistory())
    }

    func call(_ path: String, _ body: String, method: String = "POST") async -> (Int, [String: Any]) {
        let response = await api().handle(
            .init(
                method: method, path: path, body: Array(body.utf8), caller: "alice", authorization: "Bearer t",
                requestId: "t"))
        return (
            response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        )
    }

    /// Both servers check the token before the route table; a request that reaches it without a
    /// caller (a misconfigured route) is refused, never served as nobody.
    @Test func aRequestWithoutACallerIsRefused() async {
        let response = await api().handle(
            APIRequest(
                method: "POST", path: "/tutor/score", body: Array(#"{"conversation":[]}"#.utf8), caller: nil,
                requestId: "t"))
        #expect(response.status == 401)
    }

    @Test func theRouteTableAnswersFeedbackWithRecurringMistakes() async throws {
        let history =
            #"[{"role":"user","content":"He have a dog","feedback":{"matches":[{"rule":{"id":"X","category":"agreement"}}]}},{"role":"assistant","content":"Nice"}]"#
        let (status, json) = await call(
            "/tutor/feedback",
            #"{"text":"I has two cat","conversation_id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","history":\#(history)}"#)
        #expect(status == 200)
        let matches = try #require(json["matches"] as? [[String: Any]])
        #expect(matches.first?["offset"] as? Int == 2)
        let recurring = try #require(json["recurring"] as? [[String: Any]])
        #expect(recurring.first?["scope"] as? String == "this_conversation")
        #expect(recurring.first?["category"] as? String == "agreement")
    }

    @Test func theRouteTableScoresAndPlansAndRefusesBadInput() async throws {
        let (status, json) = await call(
            "/tutor/score", #"{"conversation":[{"role":"user","content":"I has two cat. I like the cat."}]}"#)
        #expect(status == 200)
        // Eight words: no band and no overall, but a message to keep talking (issue 18).
        #expect((json["aspects"] as? [[String: Any]])?.count == 8)
        #expect(json["cefr"] == nil)
        #expect((json["keep_talking"] as? String)?.hasPrefix("Keep talking: 8 words") == true)
        let (planned, plan) = await call(
            "/tutor/partner", #"{"conversation":[{"role":"user","content":"Halo, saya mau belajar"}],"level":"b1"}"#)
        #expect(planned == 200 && plan["language"] as? String == "id" && plan["level"] as? String == "B1")
        for (path, body, fragment) in [
            ("/tutor/feedback", "{", "JSON object"),
            ("/tutor/feedback", #"{"text":""}"#, "empty"),
            ("/tutor/feedback", #"{"text":"x","lang":"fr"}"#, "\"lang\""),
            ("/tutor/feedback", #"{"text":"x","conversation_id":"nope"}"#, "UUID"),
            ("/tutor/feedback", #"{"text":"x","extra":1}"#, "unknown field \"extra\""),
            ("/tutor/score", #"{"conversation":[{"role":"assistant","content":"hi"}]}"#, "no learner"),
            ("/tutor/score", #"{"conversation":[{"role":"bot","content":"hi"}]}"#, "role must be"),
            ("/tutor/partner", #"{"conversation":[],"level":"Z9"}"#, "\"level\""),
        ] {
            let (status, json) = await call(path, body)
            #expect(status == 400, "\(body)")
            #expect((json["error"] as? String)?.contains(fragment) == true, "\(body): \(json)")
        }
        #expect(await call("/tutor/nope", "{}").0 == 404)
        #expect(await call("/tutor/score", "{}", method: "GET").0 == 405)
        let huge = String(repeating: "a", count: TutorAPI.maxBodyBytes + 1)
        #expect(await call("/tutor/feedback", huge).0 == 413)
    }
}

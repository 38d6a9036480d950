import Foundation

/// One of the nine aspects of R-APP-5, scored 0–100 with a one-line reason.
public struct AspectScore: Sendable, Equatable, Codable {
    public var id: String
    public var label: String
    public var score: Int
    public var reason: String
}

/// The scores of a conversation.
public struct Scores: Sendable, Equatable, Encodable {
    /// The nine aspects, always in `Aspect.allCases` order.
    /// The aspects in `Aspect.allCases` order; without `overall` below the minimum of evidence.
    public var aspects: [AspectScore]
    /// The CEFR band; nil below `ScoreEngine.minimumWordsForBand` learner words.
    public var cefr: CEFRBand?
    /// Below the minimum of evidence, why there is no band or overall yet (English or Indonesian).
    public var keepTalking: String?
    public var features: ScoreFeatures
    /// The model's judgement when it answered in time; nil otherwise.
    public var judgement: Judgement?

    enum CodingKeys: String, CodingKey {
        case aspects, cefr, features, judgement
        case keepTalking = "keep_talking"
    }
}

/// The nine aspects. Six are calibrated against ELLIPSE's human scores (the counterpart in
/// brackets); comprehension, digital etiquette and responsiveness exist only in a conversation and
/// are rules over its features (docs/tutor.md).
public enum Aspect: String, Sendable, CaseIterable {
    case writtenFluency = "written_fluency"  // [Phraseology]
    case vocabulary  // [Vocabulary]
    case grammar  // [Grammar]
    case comprehension
    case coherence  // [Cohesion]
    case digitalEtiquette = "digital_etiquette"
    case responsiveness
    case clarity  // [Syntax]
    case overall  // [Overall]

    public func label(_ language: Language) -> String {
        switch (self, language) {
        case (.writtenFluency, .en): "Written fluency"
        case (.writtenFluency, .id): "Kelancaran menulis"
        case (.vocabulary, .en): "Vocabulary"
        case (.vocabulary, .id): "Kosakata"
        case (.grammar, .en): "Grammar"
        case (.grammar, .id): "Tata bahasa"
        case (.comprehension, .en): "Comprehension"
        case (.comprehension, .id): "Pemahaman"
        case (.coherence, .en): "Coherence"
        case (.coherence, .id): "Koherensi"
        case (.digitalEtiquette, .en): "Digital etiquette"
        case (.digitalEtiquette, .id): "Etika digital"
        case (.responsiveness, .en): "Responsiveness"
        case (.responsiveness, .id): "Daya tanggap"
        case (.clarity, .en): "Clarity"
        case (.clarity, .id): "Kejelasan"
        case (.overall, .en): "Overall"
        case (.overall, .id): "Keseluruhan"
        }
    }
}

/// The model's overall judgement of the learner's writing: 1–5 (ELLIPSE's scale) and why.
public struct Judgement: Sendable, Equatable, Codable {
    public var overall: Double
    public var reason: String

    public init(overall: Double, reason: String) {
        self.overall = overall
        self.reason = reason
    }
}

/// The model's part of the scores, behind a seam.
public protocol ScoreJudge: Sendable {
    func judge(_ learnerText: String) async throws -> Judgement
}

/// Sentence embeddings for the relevance of learner turns, behind a seam.
public protocol TextEmbedder: Sendable {
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// Scores a conversation: features measured in code, a linear model over them calibrated on
/// ELLIPSE (`ScoreCalibration`, written by `tools/calibrate_scores.py`), blended with the
/// model's judgement when there is one (weight `ScoreCalibration.judgeWeight`).
public struct ScoreEngine: Sendable {
    let checker: any GrammarChecker
    let judge: (any ScoreJudge)?
    let embedder: (any TextEmbedder)?
    let wordLevels: WordLevels
    let deadline: Duration

    public init(
        checker: any GrammarChecker, judge: (any ScoreJudge)?, embedder: (any TextEmbedder)?, wordLevels: WordLevels,
        deadline: Duration = .seconds(20)
    ) {
        self.checker = checker
        self.judge = judge
        self.embedder = embedder
        self.wordLevels = wordLevels
        self.deadline = deadline
    }

    /// Below this many learner words there is no CEFR band and no overall score, only a "keep
    /// talking" message: four words ("I has two cat") say nothing about a level (issue 18).
    public static let minimumWordsForBand = 30

    /// Below this many words, lexical diversity (MTLD) is not measured reliably and counts as average.
    public static let minimumWordsForDiversity = 50

    /// Characters of the learner's text the judge reads (the end of it).
    public static let maxJudgeCharacters = 2000

    public func score(conversation: [Turn], language: Language) async throws -> Scores {
        let learner = conversation.filter { $0.role == "user" }.map(\.content)
        let learnerText = learner.joined(separator: "\n")
        let judge = judge
        let embedder = embedder
        let pairs = Self.relevancePairs(conversation)
        let deadline = deadline
        async let judgement: Judgement? = {
            guard let judge, !learnerText.isEmpty else { return nil }
            return await FeedbackEngine.within(deadline) {
                try await judge.judge(String(learnerText.suffix(Self.maxJudgeCharacters)))
            }
        }()
        async let relevances: [Double]? = {
            guard let embedder, !pairs.isEmpty else { return nil }
            return await FeedbackEngine.within(deadline) {
                let vectors = try await embedder.embed(pairs.flatMap { [$0.partner, $0.learner] })
                return stride(from: 0, to: vectors.count - 1, by: 2).map { cosine(vectors[$0], vectors[$0 + 1]) }
            }
        }()
        async let textVector: [Float]? = {
            guard let embedder, !learnerText.isEmpty else { return nil }
            return await FeedbackEngine.within(deadline) {
                try await Self.embedLearnerText(learnerText, with: embedder)
            }
        }()
        let lints = try await checker.check(learner)
        let features = ScoreFeatures.measure(
            conversation: conversation, lints: lints, relevances: await relevances ?? [], wordLevels: wordLevels)
        let judged = await judgement
        return Self.scores(features: features, embedding: await textVector, judgement: judged, language: language)
    }

    /// Characters of the learner's text embedded for the scores (the end of it), as calibrated.
    public static let embeddedCharacters = [1500, 900, 500]

    /// The learner text's vector: its last 1,500 characters, fewer if the embedding model's
    /// context refuses them (as `tools/calibrate_scores.py`'s inputs were made).
    public static func embedLearnerText(_ text: String, with embedder: any TextEmbedder) async throws -> [Float] {
        var lastError: (any Error)?
        for length in embeddedCharacters {
            do {
                if let vector = try await embedder.embed([String(text.suffix(length))]).first { return vector }
            } catch {
                lastError = error
            }
        }
        throw lastError ?? CancellationError()
    }

    /// Each learner turn with the partner turn just before it.
    static func relevancePairs(_ conversation: [Turn]) -> [(partner: String, learner: String)] {
        let turns = conversation.filter { $0.role != "system" }
        return zip(turns, turns.dropFirst()).compactMap { previous, turn in
            previous.role == "assistant" && turn.role == "user" ? (previous.content, turn.content) : nil
        }
    }

    /// The nine scores from the features (and the judgement). Pure.
    public static func scores(
        features: ScoreFeatures, embedding: [Float]? = nil, judgement: Judgement?, language: Language
    ) -> Scores {
        func estimate(_ aspect: Aspect) -> Double {
            ScoreCalibration.estimate(aspect, features: features, embedding: embedding)
        }
        /// ELLIPSE's 1–5 onto 0–100.
        func percent(_ scale: Double) -> Int { Int(((scale - 1) / 4 * 100).rounded().clamped(to: 0...100)) }
        var overallScale = estimate(.overall)
        if let judgement {
            let weight = ScoreCalibration.judgeWeight
            overallScale = (1 - weight) * overallScale + weight * judgement.overall.clamped(to: 1...5)
        }
        let overall = percent(overallScale)
        let reasons = ScoreReasons(features: features, language: language)
        let aspects = Aspect.allCases.map { aspect in
            let (score, reason): (Int, String) =
                switch aspect {
                case .comprehension: reasons.comprehension(fallback: overall)
                case .responsiveness: reasons.responsiveness(fallback: overall)
                case .digitalEtiquette: reasons.etiquette()
                case .overall: (overall, reasons.overall(judgement: judgement))
                case .writtenFluency, .vocabulary, .grammar, .coherence, .clarity:
                    (percent(estimate(aspect)), reasons.calibrated(aspect))
                }
            return features.words == 0
                ? AspectScore(
                    id: aspect.rawValue, label: aspect.label(language), score: 0, reason: reasons.nothingWritten)
                : AspectScore(
                    id: aspect.rawValue, label: aspect.label(language), score: score.clamped(to: 0...100),
                    reason: reason)
        }
        guard features.words >= minimumWordsForBand else {
            return Scores(
                aspects: aspects.filter { $0.id != Aspect.overall.rawValue }, cefr: nil,
                keepTalking: reasons.keepTalking(minimumWords: minimumWordsForBand), features: features,
                judgement: judgement)
        }
        return Scores(
            aspects: aspects, cefr: CEFRBand.ofText(features: features, overall: overall), keepTalking: nil,
            features: features, judgement: judgement)
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    guard a.count == b.count, !a.isEmpty else { return 0 }
    var dot = 0.0
    var normA = 0.0
    var normB = 0.0
    for index in a.indices {
        dot += Double(a[index]) * Double(b[index])
        normA += Double(a[index]) * Double(a[index])
        normB += Double(b[index]) * Double(b[index])
    }
    return normA == 0 || normB == 0 ? 0 : dot / (normA.squareRoot() * normB.squareRoot())
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}

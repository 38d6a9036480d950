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
        let id = language == .id
        let inputs = ScoreCalibration.features.map { features.value($0) }
        let useEmbedding = embedding?.count == ScoreCalibration.embeddingDimensions && embedding?.isEmpty == false
        func calibrated(_ aspect: Aspect) -> Double {
            let models = useEmbedding ? ScoreCalibration.withEmbedding : ScoreCalibration.featuresOnly
            guard let model = models.model(for: aspect) else { return 3 }
            let values = useEmbedding ? inputs + embedding!.map(Double.init) : inputs
            var value = model.intercept
            for index in values.indices where index < model.weights.count && model.deviations[index] > 0 {
                // Chat text is shorter than the essays the model was fitted on: inputs are held within
                // three deviations of the essays' mean, and MTLD (unstable under 50 words) is neutral.
                var standardised = (values[index] - model.means[index]) / model.deviations[index]
                if index < ScoreCalibration.features.count,
                    ["mtld", "log_mtld"].contains(ScoreCalibration.features[index]),
                    features.words < ScoreEngine.minimumWordsForDiversity
                {
                    standardised = 0
                }
                // More mistakes never raise a score (issue 18), whatever a refit gives these weights.
                let isErrorRate =
                    index < ScoreCalibration.features.count
                    && Self.errorFeatures.contains(ScoreCalibration.features[index])
                let weight = isErrorRate ? min(model.weights[index], 0) : model.weights[index]
                value += weight * standardised.clamped(to: -3...3)
            }
            return value
        }
        /// ELLIPSE's 1–5 onto 0–100.
        func percent(_ scale: Double) -> Int { Int(((scale - 1) / 4 * 100).rounded().clamped(to: 0...100)) }
        var overallScale = calibrated(.overall)
        if let judgement {
            let weight = ScoreCalibration.judgeWeight
            overallScale = (1 - weight) * overallScale + weight * judgement.overall.clamped(to: 1...5)
        }
        let noText = features.words == 0
        let overall = noText ? 0 : percent(overallScale)
        func aspect(_ aspect: Aspect, _ score: Int, _ reason: String) -> AspectScore {
            AspectScore(
                id: aspect.rawValue, label: aspect.label(language), score: noText ? 0 : score.clamped(to: 0...100),
                reason: noText ? (id ? "Belum ada tulisan untuk dinilai." : "Nothing written yet to score.") : reason)
        }
        let f = features
        let top = f.errorsPer100ByCategory.max { $0.value < $1.value }
        let grammarReason =
            f.grammarErrorsPer100 + f.spellingErrorsPer100 < 0.5
            ? (id ? "Hampir tidak ada kesalahan tata bahasa." : "Almost no grammar mistakes found.")
            : (id
                ? "\(format(f.grammarErrorsPer100 + f.spellingErrorsPer100)) kesalahan per 100 kata\(top.map { ", terbanyak: \(Category(rawValue: $0.key).map { Explanations.explain($0, from: "", to: "", in: .id).short } ?? $0.key)" } ?? "")."
                : "\(format(f.grammarErrorsPer100 + f.spellingErrorsPer100)) mistakes per 100 words\(top.map { ", mostly \(Category(rawValue: $0.key).map { Explanations.explain($0, from: "", to: "", in: .en).short.lowercased() } ?? $0.key)" } ?? "").")
        let advanced = Int((f.advancedWordShare * 100).rounded())
        // Comprehension: how closely each reply follows the partner's turn before it (all-minilm
        // cosine; question–answer pairs score about 0.1–0.5) and how many questions were answered.
        var comprehensionParts: [Double] = []
        var comprehensionReasons: [String] = []
        if let relevance = f.relevance {
            comprehensionParts.append(40 + 150 * (relevance - 0.1))
            comprehensionReasons.append(
                id
                    ? "jawabanmu \(relevance > 0.2 ? "nyambung dengan" : "kurang nyambung dengan") pesan partner (kemiripan \(format(relevance)))"
                    : "your replies \(relevance > 0.2 ? "follow" : "drift from") what your partner said (similarity \(format(relevance)))"
            )
        }
        if let answered = f.answeredShare {
            comprehensionParts.append(40 + 60 * answered)
            comprehensionReasons.append(
                id
                    ? "kamu menjawab \(Int(answered * 100))% pertanyaan partner"
                    : "you answered \(Int(answered * 100))% of your partner's questions")
        }
        let comprehension: (Int, String) =
            comprehensionParts.isEmpty
            ? (
                overall,
                id
                    ? "Belum ada pesanmu yang menjawab pesan partner."
                    : "None of your messages replies to a partner turn yet."
            )
            : (
                Int(comprehensionParts.reduce(0, +) / Double(comprehensionParts.count)),
                Self.sentence(comprehensionReasons.joined(separator: id ? "; " : "; "))
            )
        let responsiveness: (Int, String)
        if let answered = f.answeredShare {
            responsiveness = (
                Int(30 + 50 * answered + 10 * Double(min(f.questions, 2))),
                id
                    ? "Menjawab \(Int(answered * 100))% pertanyaan, bertanya balik \(f.questions) kali."
                    : "Answered \(Int(answered * 100))% of questions and asked \(f.questions) back."
            )
        } else {
            responsiveness = (
                min(100, overall + 10 * min(f.questions, 2)),
                id
                    ? "Partner belum bertanya; kamu bertanya \(f.questions) kali."
                    : "No partner questions yet; you asked \(f.questions)."
            )
        }
        let etiquetteScore = Int(
            75 + 8 * Double(min(f.politeMarkers, 3)) - 200 * f.shoutingShare - 25 * Double(f.rudeWords))
        let etiquetteReason: String
        if f.rudeWords > 0 {
            etiquetteReason = id ? "Ada kata kasar; tetap sopan ya." : "Some rude words; keep it friendly."
        } else if f.shoutingShare > 0.1 {
            etiquetteReason = id ? "Banyak huruf kapital terasa seperti berteriak." : "Many capitals read as shouting."
        } else if f.politeMarkers > 0 {
            etiquetteReason = id ? "Ramah dan sopan (salam, terima kasih)." : "Friendly and polite (greetings, thanks)."
        } else {
            etiquetteReason =
                id
                ? "Sopan; salam atau terima kasih membuatnya lebih hangat."
                : "Polite; a greeting or thanks would make it warmer."
        }
        let aspects = [
            aspect(
                .writtenFluency, percent(calibrated(.writtenFluency)),
                id
                    ? "Rata-rata \(format(f.meanSentenceLength)) kata per kalimat, \(format(f.connectivesPer100)) kata penghubung per 100 kata."
                    : "\(format(f.meanSentenceLength)) words per sentence on average, \(format(f.connectivesPer100)) linking words per 100."
            ),
            aspect(
                .vocabulary, percent(calibrated(.vocabulary)),
                id
                    ? "Keragaman kata (MTLD) \(format(f.mtld)); \(advanced)% kata di level B2 ke atas."
                    : "Word variety (MTLD) \(format(f.mtld)); \(advanced)% of words at B2 or above."),
            aspect(.grammar, percent(calibrated(.grammar)), grammarReason),
            aspect(.comprehension, comprehension.0, comprehension.1),
            aspect(
                .coherence, percent(calibrated(.coherence)),
                id
                    ? "\(format(f.subordinatorsPerSentence)) anak kalimat dan \(format(f.connectivesPer100)) kata penghubung per 100 kata."
                    : "\(format(f.subordinatorsPerSentence)) linked clauses per sentence, \(format(f.connectivesPer100)) linking words per 100."
            ),
            aspect(.digitalEtiquette, etiquetteScore, etiquetteReason),
            aspect(.responsiveness, responsiveness.0, responsiveness.1),
            aspect(
                .clarity, percent(calibrated(.clarity)),
                id
                    ? "\(format(f.conventionErrorsPer100)) kesalahan huruf kapital/tanda baca per 100 kata; panjang kalimat \(format(f.meanSentenceLength))."
                    : "\(format(f.conventionErrorsPer100)) capital/punctuation slips per 100 words; sentences of \(format(f.meanSentenceLength)) words."
            ),
            aspect(
                .overall, overall,
                judgement.map { $0.reason.isEmpty ? "" : $0.reason }.flatMap {
                    $0.isEmpty ? nil : String($0.prefix(200))
                }
                    ?? (id
                        ? "Gabungan tata bahasa, kosakata dan kelancaran."
                        : "Grammar, vocabulary and fluency together.")),
        ]
        guard features.words >= minimumWordsForBand else {
            let message =
                id
                ? "Terus mengobrol: dari \(features.words) kata belum bisa ditentukan level dan nilai keseluruhan (minimal \(minimumWordsForBand) kata)."
                : "Keep talking: \(features.words) words are not enough for a level or an overall score (at least \(minimumWordsForBand))."
            return Scores(
                aspects: aspects.filter { $0.id != Aspect.overall.rawValue }, cefr: nil, keepTalking: message,
                features: features, judgement: judgement)
        }
        return Scores(
            aspects: aspects, cefr: CEFRBand.ofText(features: features, overall: overall), keepTalking: nil,
            features: features,
            judgement: judgement)
    }

    /// The features that count mistakes: their weights may only lower a score.
    static let errorFeatures = Set([
        "grammar_per100", "spelling_per100", "conventions_per100", "log_grammar_per100", "log_spelling_per100",
        "log_conventions_per100",
    ]).union(ScoreFeatures.categoryRateNames)

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Capitalised, with a full stop.
    static func sentence(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() + "." }
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

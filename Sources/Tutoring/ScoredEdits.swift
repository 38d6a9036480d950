import Deadline

/// Scored edits (issue 18): after Harper and the learner rules, single-word corrections of
/// articles, commas and prepositions that a small language model finds clearly more likely than
/// the sentence as the rules left it (Bryant & Briscoe 2018, "LM-based GEC revisited").
///
/// Candidates come only from plausible places (`ScoredEdits+Candidates.swift`), each is scored
/// by `EditScorer` as the gain in log-probability (nats) of the candidate sentence over the base
/// sentence, and one is applied when its gain exceeds its kind's margin. Margins were fitted on
/// the even-numbered lines of jfleg-dev only (docs/tutor.md, "Scored edits").
public struct ScoredEdits: Sendable {
    /// What a candidate changes.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case articleInsert = "article_insert"
        case articleRemove = "article_remove"
        case articleChange = "article_change"
        case commaInsert = "comma_insert"
        case commaRemove = "comma_remove"
        /// A comma between two clauses: before "and"/"or" + a subject, or before a subject
        /// pronoun after an opening clause or phrase ("When I was young, I played").
        case commaClause = "comma_clause"
        case prepositionInsert = "preposition_insert"
        case prepositionRemove = "preposition_remove"
        case prepositionChange = "preposition_change"

        /// The finding's category.
        public var category: Category {
            switch self {
            case .articleInsert, .articleRemove, .articleChange: .article
            case .commaInsert, .commaRemove, .commaClause: .punctuation
            case .prepositionInsert, .prepositionRemove, .prepositionChange: .preposition
            }
        }
    }

    /// One single-edit correction: `edit` replaces a non-empty span of the learner's text (an
    /// insertion spans the word it goes before or after, a removal the word after it too), so a
    /// finding made of it has words to underline.
    public struct Candidate: Sendable, Equatable {
        public var kind: Kind
        public var edit: TextEdit

        public init(kind: Kind, edit: TextEdit) {
            self.kind = kind
            self.edit = edit
        }
    }

    /// The least gain (nats) at which a candidate of each kind is applied, fitted on the even
    /// lines of jfleg-dev by `cakap eval gec --fit-margins` (odd lines held out). A negative
    /// margin applies a candidate unless the model finds it clearly worse (commas, where learner
    /// text misses far more than the model can tell). Removing an article is off (`.infinity`):
    /// on the learner dev set it removed articles a learner needs ("near the campus", "The food
    /// here"); kinds that are off are not even scored.
    public static let defaultMargins: [Kind: Double] = [
        .articleInsert: 0.5, .articleRemove: .infinity, .articleChange: 9.5, .commaInsert: -4.5,
        .commaRemove: 2.5, .commaClause: -2.0, .prepositionInsert: 0.0, .prepositionRemove: 3.5,
        .prepositionChange: 5.0,
    ]

    /// Tokens after an edit that its score reads (the language model's window). Default 2.
    public static let defaultWindow = 2
    /// Candidates scored per message at most (one batch of the scorer). Default 24.
    public static let defaultMaxCandidates = 24
    /// How long a message's scoring may take; after it the rules' result stands. Default 1 s.
    public static let defaultBudget: Duration = .seconds(1)

    public let scorer: any EditScorer
    public var margins: [Kind: Double]
    public var window: Int
    public var maxCandidates: Int
    public var budget: Duration

    /// - Parameters:
    ///   - scorer: the language model (`LMScoreProcess`) or a fake.
    ///   - margins: per kind, default `defaultMargins`.
    ///   - window: default `defaultWindow`; maxCandidates: default `defaultMaxCandidates`;
    ///     budget: default `defaultBudget`.
    public init(
        scorer: any EditScorer, margins: [Kind: Double] = defaultMargins, window: Int = defaultWindow,
        maxCandidates: Int = defaultMaxCandidates, budget: Duration = defaultBudget
    ) {
        self.scorer = scorer
        self.margins = margins
        self.window = window
        self.maxCandidates = maxCandidates
        self.budget = budget
    }

    /// The candidates of `text` (names known by `wordLevels`) whose spans miss every edit in `taken` (the rules' edits), at most
    /// `maxCandidates`, and the gain of each (scored on the text with `taken` applied); nil when
    /// the scorer fails or runs past `budget`.
    public func scored(
        _ text: String, taken: [TextEdit], wordLevels: WordLevels = WordLevels(levels: [:])
    ) async -> [(Candidate, Double)]? {
        let margins = margins
        let candidates = Array(
            Self.candidates(text, taken: taken, wordLevels: wordLevels)
                .filter { margins[$0.kind, default: .infinity].isFinite }.prefix(maxCandidates))
        guard !candidates.isEmpty else { return [] }
        let base = TextEdit.apply(taken, to: text)
        let sentences = candidates.map { TextEdit.apply(taken + [$0.edit], to: text) }
        let scorer = scorer
        let window = window
        guard
            let gains = try? await withDeadline(
                budget, { try await scorer.gains(base: base, candidates: sentences, window: window) }),
            gains.count == candidates.count
        else { return nil }
        return Array(zip(candidates, gains))
    }

    /// The edits to apply: each candidate whose gain exceeds its kind's margin, best first, none
    /// overlapping another kept one (single edits were scored alone, so two at one place are
    /// never both taken).
    public static func chosen(_ scored: [(Candidate, Double)], margins: [Kind: Double]) -> [Candidate] {
        let passing = scored.filter { $0.1.isFinite && $0.1 > margins[$0.0.kind, default: .infinity] }
        var kept: [Candidate] = []
        for (candidate, _) in passing.sorted(by: { $0.1 - margins[$0.0.kind]! > $1.1 - margins[$1.0.kind]! }) {
            let edit = candidate.edit
            guard !kept.contains(where: { $0.edit.start < edit.end && edit.start < $0.edit.end }) else { continue }
            kept.append(candidate)
        }
        return kept.sorted { $0.edit.start < $1.edit.start }
    }
}

/// The language model that scores candidate corrections, behind a seam (`LMScoreProcess`; a fake
/// in unit tests).
public protocol EditScorer: Sendable {
    /// For each candidate, log P(candidate) − log P(base) in nats over the window from the first
    /// token that differs to `window` tokens past the last (all the rest when negative).
    func gains(base: String, candidates: [String], window: Int) async throws -> [Double]
}

import Foundation

/// Measurable features of a learner's writing in a conversation (R-APP-5), the inputs of the
/// scores. Rates are per 100 words so short chats and long essays compare.
public struct ScoreFeatures: Sendable, Equatable, Codable {
    /// Words the learner wrote (tokens that start with a letter or digit).
    public var words: Int
    public var sentences: Int
    /// Harper's findings per 100 words: grammar (verb form, agreement, articles, prepositions,
    /// word choice), spelling, and conventions (capitalisation, punctuation, layout).
    public var grammarErrorsPer100: Double
    public var spellingErrorsPer100: Double
    public var conventionErrorsPer100: Double
    /// Findings per 100 words by the tutor's category (Harper's lints mapped as feedback maps them).
    public var errorsPer100ByCategory: [String: Double]
    /// Lexical diversity that does not fall with length as a type/token ratio does: MTLD
    /// (McCarthy & Jarvis 2010), the mean length of word runs keeping a type/token ratio above 0.72.
    public var mtld: Double
    /// Mean CEFR level (1–6) of the words found in the word list, and the share at B2 or above.
    public var meanWordLevel: Double
    public var advancedWordShare: Double
    /// Share of words not in the list (names, misspellings, invented words).
    public var unknownWordShare: Double
    public var meanSentenceLength: Double
    public var sentenceLengthSD: Double
    /// Subordinating words (because, although, which, …) per sentence.
    public var subordinatorsPerSentence: Double
    /// Linking words (however, also, first, for example, …) per 100 words.
    public var connectivesPer100: Double
    public var meanWordLength: Double
    /// Sentences ending in a question mark.
    public var questions: Int
    /// Conversation only. Mean cosine similarity of each learner turn to the partner turn before
    /// it (embeddings), nil without embeddings or partner turns.
    public var relevance: Double?
    /// Conversation only. Share of the partner's questions the learner answered with at least
    /// three words; nil when the partner asked none.
    public var answeredShare: Double?
    /// Please, thanks, sorry, greetings.
    public var politeMarkers: Int
    /// Share of words of three or more letters written in capitals (shouting).
    public var shoutingShare: Double
    public var rudeWords: Int
    /// Learner turns.
    public var turns: Int

    enum CodingKeys: String, CodingKey {
        case words
        case sentences
        case grammarErrorsPer100 = "grammar_errors_per_100"
        case spellingErrorsPer100 = "spelling_errors_per_100"
        case conventionErrorsPer100 = "convention_errors_per_100"
        case errorsPer100ByCategory = "errors_per_100_by_category"
        case mtld
        case meanWordLevel = "mean_word_level"
        case advancedWordShare = "advanced_word_share"
        case unknownWordShare = "unknown_word_share"
        case meanSentenceLength = "mean_sentence_length"
        case sentenceLengthSD = "sentence_length_sd"
        case subordinatorsPerSentence = "subordinators_per_sentence"
        case connectivesPer100 = "connectives_per_100"
        case meanWordLength = "mean_word_length"
        case questions
        case relevance
        case answeredShare = "answered_share"
        case politeMarkers = "polite_markers"
        case shoutingShare = "shouting_share"
        case rudeWords = "rude_words"
        case turns
    }

    /// Every key is written, `null` included, so the answer's shape does not depend on the conversation.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(words, forKey: .words)
        try container.encode(sentences, forKey: .sentences)
        try container.encode(grammarErrorsPer100, forKey: .grammarErrorsPer100)
        try container.encode(spellingErrorsPer100, forKey: .spellingErrorsPer100)
        try container.encode(conventionErrorsPer100, forKey: .conventionErrorsPer100)
        try container.encode(errorsPer100ByCategory, forKey: .errorsPer100ByCategory)
        try container.encode(mtld, forKey: .mtld)
        try container.encode(meanWordLevel, forKey: .meanWordLevel)
        try container.encode(advancedWordShare, forKey: .advancedWordShare)
        try container.encode(unknownWordShare, forKey: .unknownWordShare)
        try container.encode(meanSentenceLength, forKey: .meanSentenceLength)
        try container.encode(sentenceLengthSD, forKey: .sentenceLengthSD)
        try container.encode(subordinatorsPerSentence, forKey: .subordinatorsPerSentence)
        try container.encode(connectivesPer100, forKey: .connectivesPer100)
        try container.encode(meanWordLength, forKey: .meanWordLength)
        try container.encode(questions, forKey: .questions)
        try container.encode(relevance, forKey: .relevance)
        try container.encode(answeredShare, forKey: .answeredShare)
        try container.encode(politeMarkers, forKey: .politeMarkers)
        try container.encode(shoutingShare, forKey: .shoutingShare)
        try container.encode(rudeWords, forKey: .rudeWords)
        try container.encode(turns, forKey: .turns)
    }

    /// The features the calibrated linear model reads, by name (ScoreCalibration.features).
    public func value(_ name: String) -> Double {
        switch name {
        case "grammar_per100": grammarErrorsPer100
        case "spelling_per100": spellingErrorsPer100
        case "conventions_per100": conventionErrorsPer100
        case "mtld": mtld
        case "mean_word_level": meanWordLevel
        case "advanced_share": advancedWordShare
        case "unknown_share": unknownWordShare
        case "mean_sentence_length": meanSentenceLength
        case "sentence_length_sd": sentenceLengthSD
        case "subordinators_per_sentence": subordinatorsPerSentence
        case "connectives_per100": connectivesPer100
        case "mean_word_length": meanWordLength
        case "log_words": log(Double(max(words, 1)))
        // The score model's transformed inputs (tools/calibrate_scores.py, MODEL_FEATURES).
        case "log_grammar_per100": log1p(grammarErrorsPer100)
        case "log_spelling_per100": log1p(spellingErrorsPer100)
        case "log_conventions_per100": log1p(conventionErrorsPer100)
        case "log_mtld": log1p(mtld)
        case "sqrt_unknown_share": unknownWordShare.squareRoot()
        default:
            // "<category>_per100": the findings of one of the tutor's categories per 100 words.
            if name.hasSuffix(Self.categoryRateSuffix),
                let category = Category(rawValue: String(name.dropLast(Self.categoryRateSuffix.count)))
            {
                errorsPer100ByCategory[category.rawValue] ?? 0
            } else {
                0
            }
        }
    }

    static let categoryRateSuffix = "_per100"

    /// The per-category error rates `value(_:)` knows ("verb_form_per100", …); spelling's is
    /// `spelling_per100` already.
    public static let categoryRateNames = Category.allCases.filter { $0 != .spelling }.map {
        $0.rawValue + categoryRateSuffix
    }

    /// Every name `value(_:)` knows, for the calibration tool's feature dump.
    public static let modelFeatureNames =
        [
            "grammar_per100", "spelling_per100", "conventions_per100", "mtld", "mean_word_level", "advanced_share",
            "unknown_share", "mean_sentence_length", "sentence_length_sd", "subordinators_per_sentence",
            "connectives_per100", "mean_word_length", "log_words", "log_grammar_per100", "log_spelling_per100",
            "log_conventions_per100", "log_mtld", "sqrt_unknown_share",
        ] + categoryRateNames
}

extension ScoreFeatures {
    static let subordinators: Set<String> = [
        "because", "although", "though", "while", "whereas", "which", "who", "whom", "whose", "that", "when",
        "whenever", "if", "unless", "since", "until", "after", "before", "so", "where", "wherever", "whether",
    ]
    static let connectives: Set<String> = [
        "however", "therefore", "also", "moreover", "furthermore", "first", "firstly", "second", "secondly",
        "finally", "besides", "instead", "otherwise", "meanwhile", "then", "thus", "overall", "additionally",
        "consequently", "example", "instance", "conclusion", "addition", "lastly", "nevertheless",
    ]
    static let polite: Set<String> = [
        "please", "thanks", "thank", "sorry", "hello", "hi", "hey", "welcome", "appreciate", "excuse", "bye",
    ]
    static let rude: Set<String> = ["stupid", "idiot", "shut", "dumb", "hate", "fuck", "shit", "damn", "bitch"]

    /// The features of the learner's turns (`user`), with Harper's lints of each learner turn
    /// (same order) and, when known, each learner turn's relevance to the partner turn before it.
    public static func measure(
        conversation: [Turn], lints: [[HarperLint]], relevances: [Double] = [], wordLevels: WordLevels
    ) -> ScoreFeatures {
        let learner = conversation.filter { $0.role == "user" }.map(\.content)
        var words: [String] = []
        var sentenceLengths: [Int] = []
        var subordinators = 0
        var connectives = 0
        var questions = 0
        var polite = 0
        var rude = 0
        var shouting = 0
        for text in learner {
            var current = 0
            for token in tokenize(text) {
                let first = token.text.unicodeScalars.first!
                if first.properties.isAlphabetic || first.properties.numericType != nil {
                    words.append(token.text)
                    current += 1
                    let lowered = token.text.lowercased()
                    if Self.subordinators.contains(lowered) { subordinators += 1 }
                    if Self.connectives.contains(lowered) { connectives += 1 }
                    if Self.polite.contains(lowered) { polite += 1 }
                    if Self.rude.contains(lowered) { rude += 1 }
                    if token.text.count >= 3, token.text == token.text.uppercased(), token.text != lowered {
                        shouting += 1
                    }
                } else if [".", "!", "?", "…"].contains(token.text) {
                    if token.text == "?" { questions += 1 }
                    if current > 0 { sentenceLengths.append(current) }
                    current = 0
                }
            }
            if current > 0 { sentenceLengths.append(current) }
        }
        let wordCount = words.count
        let per100 = { (count: Int) in wordCount == 0 ? 0 : Double(count) * 100 / Double(wordCount) }
        var grammar = 0
        var spelling = 0
        var conventions = 0
        var byCategory: [String: Int] = [:]
        for lint in lints.joined() {
            switch lint.kind {
            case "Spelling", "Typo", "BoundaryError": spelling += 1
            case "Capitalization", "Punctuation", "Formatting": conventions += 1
            case "Readability", "Style", "Enhancement", "Redundancy", "Repetition": break
            default: grammar += 1
            }
            if let category = Category.of(harperKind: lint.kind, rule: lint.rule) {
                byCategory[category.rawValue, default: 0] += 1
            }
        }
        let levels = words.map { wordLevels.level(of: $0) }
        let known = levels.compactMap { $0 }
        let meanLength =
            sentenceLengths.isEmpty ? 0 : Double(sentenceLengths.reduce(0, +)) / Double(sentenceLengths.count)
        let variance =
            sentenceLengths.isEmpty
            ? 0 : sentenceLengths.map { pow(Double($0) - meanLength, 2) }.reduce(0, +) / Double(sentenceLengths.count)
        return ScoreFeatures(
            words: wordCount, sentences: sentenceLengths.count,
            grammarErrorsPer100: per100(grammar), spellingErrorsPer100: per100(spelling),
            conventionErrorsPer100: per100(conventions),
            errorsPer100ByCategory: byCategory.mapValues { per100($0) },
            mtld: mtld(words.map { $0.lowercased() }),
            meanWordLevel: known.isEmpty ? 0 : known.reduce(0, +) / Double(known.count),
            advancedWordShare: known.isEmpty ? 0 : Double(known.filter { $0 >= 3.5 }.count) / Double(known.count),
            unknownWordShare: wordCount == 0 ? 0 : Double(levels.filter { $0 == nil }.count) / Double(wordCount),
            meanSentenceLength: meanLength, sentenceLengthSD: variance.squareRoot(),
            subordinatorsPerSentence: sentenceLengths.isEmpty
                ? 0 : Double(subordinators) / Double(sentenceLengths.count),
            connectivesPer100: per100(connectives),
            meanWordLength: wordCount == 0 ? 0 : Double(words.map(\.count).reduce(0, +)) / Double(wordCount),
            questions: questions,
            relevance: relevances.isEmpty ? nil : relevances.reduce(0, +) / Double(relevances.count),
            answeredShare: answeredShare(conversation), politeMarkers: polite,
            shoutingShare: wordCount == 0 ? 0 : Double(shouting) / Double(wordCount), rudeWords: rude,
            turns: learner.count)
    }

    /// MTLD, forward and backward averaged; for fewer than 10 words, the number of distinct words.
    static func mtld(_ words: [String]) -> Double {
        guard words.count >= 10 else { return Double(Set(words).count) }
        func pass(_ sequence: [String]) -> Double {
            var factors = 0.0
            var types = Set<String>()
            var count = 0
            for word in sequence {
                types.insert(word)
                count += 1
                if Double(types.count) / Double(count) <= 0.72 {
                    factors += 1
                    types.removeAll()
                    count = 0
                }
            }
            if count > 0 {
                let ratio = Double(types.count) / Double(count)
                factors += (1 - ratio) / (1 - 0.72)
            }
            return Double(sequence.count) / max(factors, 1e-9)
        }
        return min((pass(words) + pass(words.reversed())) / 2, Double(words.count))
    }

    /// Of the partner's turns that ask something, the share the learner answered with ≥ 3 words.
    static func answeredShare(_ conversation: [Turn]) -> Double? {
        var asked = 0
        var answered = 0
        for (index, turn) in conversation.enumerated() where turn.role == "assistant" && turn.content.contains("?") {
            asked += 1
            if let reply = conversation[(index + 1)...].first(where: { $0.role != "system" }), reply.role == "user",
                tokenize(reply.content).filter({ $0.text.first?.isLetter == true }).count >= 3
            {
                answered += 1
            }
        }
        return asked == 0 ? nil : Double(answered) / Double(asked)
    }
}

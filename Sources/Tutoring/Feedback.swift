import Deadline
import Foundation

/// A finding in LanguageTool's shape: where (UTF-16 offsets, as JavaScript and LanguageTool
/// count), what, and what to write instead.
public struct Match: Sendable, Equatable, Codable {
    public struct Rule: Sendable, Equatable, Codable {
        /// `HARPER_<rule>` or `REWRITE_<category>`.
        public var id: String
        public var category: Category
    }
    public var offset: Int
    public var length: Int
    public var message: String
    public var shortMessage: String
    public var replacements: [String]
    public var rule: Rule
}

/// Better words for the learner's message and usage tips, from the model.
public struct Advice: Sendable, Equatable, Codable {
    public struct BetterWord: Sendable, Equatable, Codable {
        public var original: String
        public var suggestion: String
        public var reason: String

        public init(original: String, suggestion: String, reason: String) {
            self.original = original
            self.suggestion = suggestion
            self.reason = reason
        }
    }
    public var betterWords: [BetterWord]
    public var tips: [String]

    public init(betterWords: [BetterWord], tips: [String]) {
        self.betterWords = betterWords
        self.tips = tips
    }

    public static let none = Advice(betterWords: [], tips: [])
}

/// The feedback on one learner message.
public struct Feedback: Sendable, Equatable {
    public var text: String
    public var matches: [Match]
    /// The whole message corrected (minimal edits).
    public var corrected: String
    public var advice: Advice
}

/// The language model's part, behind a seam (the scoring pool over HTTP; a fake in unit tests).
public protocol TutorModel: Sendable {
    /// A minimal-edit correction of `text`, or `text` itself when nothing is wrong.
    func correct(_ text: String) async throws -> String
    /// Better words and one or two usage tips.
    func advise(_ text: String, corrected: String, language: Language) async throws -> Advice
}

/// The rule-based checker's part (Harper), behind a seam.
public protocol GrammarChecker: Sendable {
    /// The lints of each text, in order.
    func check(_ texts: [String]) async throws -> [[HarperLint]]
}

extension HarperProcess: GrammarChecker {
    /// Runs the process on a thread of its own: waiting for Harper blocks, and a blocked thread of
    /// Swift's cooperative pool (one per core) stalls every other task of the server. Under 16
    /// concurrent requests that starved the tutor's HTTP handling (answers took over a minute;
    /// found by tools/fuzz_tutor.py). `Task.detached` still runs on that pool.
    public func check(_ texts: [String]) async throws -> [[HarperLint]] {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try self.lint(texts) })
            }
        }
    }
}

/// Feedback for a learner message: Harper's findings with exact spans, the model's minimal
/// rewrite aligned word by word into further findings, each with a category and a templated
/// explanation; better words and tips from the model. Spans come from code, never from the model.
public struct FeedbackEngine: Sendable {
    let checker: any GrammarChecker
    let model: any TutorModel
    let modelDeadline: Duration
    let wordLevels: WordLevels
    let modelUse: ModelUse
    let scoredEdits: ScoredEdits?

    /// What the model is asked for. Neither by default in `cakap tutor` (issue 18): the rewrite
    /// and the advice of gemma3:270m did not earn their seconds (docs/evaluation/feedback-dev.md).
    public struct ModelUse: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The minimal rewrite, aligned into findings.
        public static let rewrite = ModelUse(rawValue: 1)
        /// Better words and tips, kept only where they pass `ModelAdviceGate`.
        public static let advice = ModelUse(rawValue: 2)
    }

    /// - Parameters:
    ///   - modelDeadline: how long the model may take; after it, the feedback comes without the
    ///     rewrite or the advice (the model's work is cancelled). Default 20 s.
    ///   - wordLevels: tells names from English words and ranks better words (default: none known).
    ///   - modelUse: what the model is asked for (default: both, as the unit tests' fakes expect).
    ///   - scoredEdits: article, comma and preposition edits a language model scores on top of the
    ///     rules' result (default: none here; `cakap tutor` passes them unless `--no-scored-edits`).
    public init(
        checker: any GrammarChecker, model: any TutorModel, modelDeadline: Duration = .seconds(20),
        wordLevels: WordLevels = WordLevels(levels: [:]), modelUse: ModelUse = [.rewrite, .advice],
        scoredEdits: ScoredEdits? = nil
    ) {
        self.checker = checker
        self.model = model
        self.modelDeadline = modelDeadline
        self.wordLevels = wordLevels
        self.modelUse = modelUse
        self.scoredEdits = scoredEdits
    }

    public func feedback(for text: String, language: Language) async throws -> Feedback {
        // Harper, the rewrite and the advice do not wait for each other.
        let useModel = Self.worthTheModel(text)
        let model = model
        let deadline = modelDeadline
        let use = modelUse
        async let rewriteCandidate: String? = Self.within(useModel && use.contains(.rewrite) ? deadline : .zero) {
            try await model.correct(text)
        }
        async let adviceCandidate: Advice? = Self.within(useModel && use.contains(.advice) ? deadline : .zero) {
            try await model.advise(text, corrected: text, language: language)
        }
        let harper = try await checker.check([text]).first ?? []
        let (kept, enhancements) = Self.shownLints(harper: harper, text: text, wordLevels: wordLevels)
        let scalars = Array(text.unicodeScalars)
        var findings = kept.compactMap { Self.finding(of: $0, scalars: scalars, language: language) }
        var applied: [TextEdit] = kept.compactMap(\.firstEdit)
        if let rewrite = await rewriteCandidate, Self.plausible(rewrite, for: text) {
            for finding in rewriteFindings(rewrite, text: text, scalars: scalars, besides: findings, language: language)
            {
                findings.append(finding)
                applied.append(
                    TextEdit(start: finding.start, end: finding.end, replacement: finding.match.replacements[0]))
            }
        }
        if useModel, let scoredEdits {
            for finding in await scoredFindings(scoredEdits, text: text, applied: applied, language: language) {
                findings.append(finding)
                applied.append(
                    TextEdit(start: finding.start, end: finding.end, replacement: finding.match.replacements[0]))
            }
        }
        findings.sort { $0.start < $1.start }
        var advice = LearnerAdvice.advice(
            text: text, findings: findings.map { (Self.slice(scalars, $0.start, $0.end), $0.match) },
            enhancements: enhancements, wordLevels: wordLevels, language: language)
        if let fromModel = await adviceCandidate {
            advice = ModelAdviceGate.merge(advice, fromModel, text: text, wordLevels: wordLevels)
        }
        let utf16 = Self.utf16Offsets(scalars)
        return Feedback(
            text: text, matches: findings.map { $0.placed(utf16) }, corrected: TextEdit.apply(applied, to: text),
            advice: advice)
    }

    /// A finding at scalar offsets of the learner's text, before its UTF-16 offsets are set.
    struct Located {
        var start: Int
        var end: Int
        var match: Match

        /// The match with its offset and length in UTF-16 code units (`utf16[scalar offset]`).
        func placed(_ utf16: [Int]) -> Match {
            var placed = match
            placed.offset = utf16[start]
            placed.length = utf16[end] - utf16[start]
            return placed
        }
    }

    /// A lint Harper (or a learner rule) found, as a finding with every replacement it offers; nil
    /// for a lint of no category, outside the text, or with nothing to replace.
    static func finding(of lint: HarperLint, scalars: [Unicode.Scalar], language: Language) -> Located? {
        guard let category = Category.of(harperKind: lint.kind, rule: lint.rule),
            lint.span.charStart >= 0, lint.span.charEnd <= scalars.count, lint.span.charStart < lint.span.charEnd
        else { return nil }
        let original = slice(scalars, lint.span.charStart, lint.span.charEnd)
        let replacements = lint.suggestions.compactMap { suggestion -> String? in
            var probe = lint
            probe.suggestions = [suggestion]
            guard let edit = probe.firstEdit else { return nil }
            return edit.start == edit.end ? original + edit.replacement : edit.replacement
        }.filter { $0 != original }
        guard !replacements.isEmpty else { return nil }
        // Harper's own message in English; the template bank in Indonesian.
        let explanation = Explanations.explain(category, from: original, to: replacements[0], in: language)
        return Located(
            start: lint.span.charStart, end: lint.span.charEnd,
            match: Match(
                offset: 0, length: 0, message: language == .en ? lint.message : explanation.message,
                shortMessage: explanation.short, replacements: replacements,
                rule: .init(id: lint.rule.hasPrefix("CAKAP_") ? lint.rule : "HARPER_\(lint.rule)", category: category)))
    }

    /// The model rewrite's edits that are narrow, classifiable fixes, as findings: none that
    /// overlaps another finding, none that changes a name. Free rewording (word choice, word order)
    /// from a small model is more often wrong than right, so it is not taken.
    func rewriteFindings(
        _ rewrite: String, text: String, scalars: [Unicode.Scalar], besides taken: [Located], language: Language
    ) -> [Located] {
        var taken = taken
        var found: [Located] = []
        let edits = align(original: text, rewrite: rewrite)
        for (edit, category) in zip(edits, Category.of(edits)) where Self.trustedRewriteCategories.contains(category) {
            guard !taken.contains(where: { $0.start < edit.end && edit.start < $0.end }) else { continue }
            let original = Self.slice(scalars, edit.start, edit.end)
            guard edit.replacement != original else { continue }
            // A name is never "corrected" into another word ("Persib" → "Persia").
            let touched = HarperLint(
                rule: "", kind: "Spelling", span: .init(charStart: edit.start, charEnd: edit.end), message: "",
                suggestions: [], matchedText: original)
            guard !Self.isNameOrForeign(touched, scalars: scalars, wordLevels: wordLevels) else { continue }
            let explanation = Explanations.explain(category, from: original, to: edit.replacement, in: language)
            let finding = Located(
                start: edit.start, end: edit.end,
                match: Match(
                    offset: 0, length: 0, message: explanation.message, shortMessage: explanation.short,
                    replacements: [edit.replacement],
                    rule: .init(id: "REWRITE_\(category.rawValue)", category: category)))
            found.append(finding)
            taken.append(finding)
        }
        return found
    }

    /// Longer messages get Harper's findings only: a small model's rewrite of a long text takes
    /// tens of seconds and drifts from it (a chat message is rarely this long).
    public static let maxModelCharacters = 600

    /// Whether the model's rewrite and advice are asked for: only for English-looking text of at
    /// most `maxModelCharacters`. Code, symbols, emoji and other scripts get Harper's findings only
    /// (a rewrite of them is noise and costs the chat pool seconds), and Indonesian gets none from
    /// the model (the partner asks for English instead).
    public static func worthTheModel(_ text: String) -> Bool {
        guard text.count <= maxModelCharacters else { return false }
        let words = tokenize(text).filter { $0.text.unicodeScalars.first?.properties.isAlphabetic == true }
        let english = words.filter { word in
            word.text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "'" || $0 == "’"
            }
        }
        guard !english.isEmpty, Double(english.count) >= 0.6 * Double(words.count) else { return false }
        let allTokens = tokenize(text).count
        guard Double(english.count) >= 0.6 * Double(allTokens) else { return false }  // mostly symbols or code
        return !LanguageGuess.isIndonesian(text)
    }

    /// Categories of rewrite edits the tutor reports and applies.
    public static let trustedRewriteCategories: Set<Category> = [
        .spelling, .verbForm, .agreement, .article, .preposition, .capitalisation,
    ]

    /// The operation's result, or nil when it fails or is still running after `deadline` (then it
    /// is cancelled: a slow model never holds the learner's feedback).
    static func within<T: Sendable>(
        _ deadline: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async -> T? {
        try? await withDeadline(deadline, operation)
    }

    /// A rewrite is used only when it is a plausible minimal edit: not empty, not a different
    /// length class, not mostly other words.
    static func plausible(_ rewrite: String, for text: String) -> Bool {
        let trimmed = rewrite.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return false }
        let ratio = Double(trimmed.count) / Double(max(text.count, 1))
        guard ratio > 0.5, ratio < 1.8 else { return false }
        let original = Set(tokenize(text).map { $0.text.lowercased() })
        let kept = tokenize(trimmed).filter { original.contains($0.text.lowercased()) }.count
        return Double(kept) >= 0.5 * Double(max(tokenize(text).count, 1))
    }

    static func slice(_ scalars: [Unicode.Scalar], _ start: Int, _ end: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<end])
        return String(view)
    }

    /// UTF-16 offset of every scalar boundary (index = scalar offset).
    static func utf16Offsets(_ scalars: [Unicode.Scalar]) -> [Int] {
        var offsets = [0]
        offsets.reserveCapacity(scalars.count + 1)
        for scalar in scalars { offsets.append(offsets.last! + (scalar.value > 0xFFFF ? 2 : 1)) }
        return offsets
    }
}

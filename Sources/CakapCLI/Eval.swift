import ArgumentParser
import AsyncHTTPClient
import Foundation
import Provisioning
import TutorService
import Tutoring

/// `cakap eval`: the tutor measured on learner data, as markdown reports.
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the tutor on evaluation data (markdown reports).",
        subcommands: [GEC.self, EvalScores.self, EvalFeedback.self, EvalPartner.self])

    /// `cakap eval gec`: GLEU (JFLEG's definition, several references) of each correction system.
    struct GEC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gec", abstract: "GLEU of the correction systems on a source file and its references.")

        @Option(help: "Learner sentences, one per line (tokenised, as JFLEG).") var src: String
        @Option(parsing: .upToNextOption, help: "Reference corrections, one file each, aligned by line.")
        var refs: [String]
        @Option(help: "Write the markdown report here.") var report: String?
        @Option(help: "Also score Harper + the model's rewrite: base URL of a worker or balancer.") var llm: String?
        @Option(help: "The rewrite model.") var model: String = "gemma3:270m"
        @Option(help: "Only the first N sentences.") var limit: Int?
        @Option(help: "Write the tutor's default corrections (plain text, with scored edits unless turned off) here.")
        var writeCorrections: String?
        @Flag(inversion: .prefixedNo, help: "Also score the rules + scored edits (SmolLM2-135M, as the tutor).")
        var scoredEdits = true
        @Flag(help: "Fit the scored edits' margins on the even-numbered lines and report them.")
        var fitMargins = false
        @Option(
            help:
                "Write each sentence's rules' edits and scored candidates with their gains here (JSON lines; for studying margins and gates)."
        )
        var dumpScored: String?

        func run() async throws {
            var sources = try Self.lines(src)
            var references = try refs.map(Self.lines)
            if let limit {
                sources = Array(sources.prefix(limit))
                references = references.map { Array($0.prefix(limit)) }
            }
            guard !references.isEmpty, references.allSatisfy({ $0.count == sources.count }) else {
                throw ValidationError("every --refs file needs exactly \(sources.count) lines, like --src")
            }
            let perSentence = sources.indices.map { index in references.map { $0[index] } }
            let paths = CakapPaths.fromEnvironment()
            // Harper as the README's reference runs it (every rule), and as the tutor runs it.
            let harperAlone = HarperProcess(executable: paths.harperCLI, ignoredRules: [])
            let harperOfTutor = HarperProcess(executable: paths.harperCLI)
            let wordLevels = WordLevels.load(path: paths.wordLevels)
            // As a learner writes (the tutor's real input), and the tokenised file as it is (the
            // figures before 2026-12-05; see `GLEU.detokenize`).
            let plain = sources.map(GLEU.detokenize)
            let started = Date()
            let plainLints = try harperOfTutor.lint(plain)
            let harperSeconds = Date().timeIntervalSince(started)
            func gleu(_ hypotheses: [String]) -> Double {
                GLEU.score(sources: sources, references: perSentence, hypotheses: hypotheses)
            }
            let plainTutor = Self.tutorCorrections(plain, lints: plainLints, wordLevels: wordLevels)
            let tokenisedTutor = Self.tutorCorrections(
                sources, lints: try harperOfTutor.lint(sources), wordLevels: wordLevels)
            let plainHarper = zip(plain, try harperAlone.lint(plain)).map { HarperCorrector.correct($0, lints: $1) }
            let tokenisedHarper = zip(sources, try harperAlone.lint(sources)).map {
                HarperCorrector.correct($0, lints: $1)
            }
            var rows: [(String, Double, Double?)] = []
            rows.append(("unchanged source", gleu(plain.map(GLEU.tokenize)), gleu(sources)))
            rows.append(
                (
                    "Harper only (every rule, first suggestion, no Formatting/Punctuation/Readability)",
                    gleu(plainHarper.map(GLEU.tokenize)), gleu(tokenisedHarper)
                ))
            rows.append(
                (
                    "Harper + learner rules, names kept (`cakap tutor --no-scored-edits`, no model)",
                    gleu(plainTutor.corrected.map(GLEU.tokenize)), gleu(tokenisedTutor.corrected)
                ))
            var scoredNote = ""
            var defaultCorrections = plainTutor.corrected
            if scoredEdits {
                let (scorer, reason) = ScoredEditsOption.scorer(paths: paths)
                guard let scorer else { throw ValidationError("scored edits: \(reason ?? "")") }
                let shipped = ScoredEdits(scorer: scorer)
                let run = await Self.scoreAll(
                    plain, edits: plainTutor.edits, scoredEdits: shipped, wordLevels: wordLevels)
                if let dumpScored { try Self.dump(plain, edits: plainTutor.edits, run: run, to: dumpScored) }
                func subsetGLEU(_ hypotheses: [String], _ lines: [Int]) -> Double {
                    GLEU.score(
                        sources: lines.map { sources[$0] }, references: lines.map { perSentence[$0] },
                        hypotheses: lines.map { GLEU.tokenize(hypotheses[$0]) })
                }
                let withScored = Self.hypotheses(plain, edits: plainTutor.edits, run: run, margins: shipped.margins)
                rows.append(
                    (
                        "Harper + learner rules + scored edits (the tutor's default)",
                        gleu(withScored.map(GLEU.tokenize)), nil
                    ))
                defaultCorrections = withScored
                var systems: [(String, [String])] = [
                    ("unchanged source", plain), ("Harper only", plainHarper),
                    ("Harper + learner rules (`--no-scored-edits`)", plainTutor.corrected),
                    ("Harper + learner rules + scored edits, shipped margins (the tutor's default)", withScored),
                ]
                var fitted: [ScoredEdits.Kind: Double]?
                if fitMargins {
                    // A second pass that scores every kind, the ones shipped off too (the
                    // tutor does not score those), so the fit can turn any kind on or off.
                    var everyKind = shipped
                    everyKind.margins = shipped.margins.mapValues { $0.isFinite ? $0 : 1e9 }
                    let allRun = await Self.scoreAll(
                        plain, edits: plainTutor.edits, scoredEdits: everyKind, wordLevels: wordLevels)
                    let even = Array(stride(from: 1, to: plain.count, by: 2))
                    let margins = Self.fitMargins(
                        plain, edits: plainTutor.edits, run: allRun, gleu: subsetGLEU, fit: even)
                    fitted = margins
                    systems.append(
                        (
                            "… every kind scored, with the margins this run fitted on the even lines",
                            Self.hypotheses(plain, edits: plainTutor.edits, run: allRun, margins: margins)
                        ))
                }
                scoredNote = Self.scoredSection(
                    systems: systems, gleu: subsetGLEU, count: plain.count, run: run, fitted: fitted,
                    scoredEdits: shipped)
            }
            if let writeCorrections {
                try Data((defaultCorrections.joined(separator: "\n") + "\n").utf8).write(
                    to: URL(fileURLWithPath: writeCorrections))
            }
            var modelNote = ""
            // The tutor's findings per category: Harper's kept lints, or with the model the feedback's matches.
            var categories = plainTutor.categories
            var categorySource = "the tutor's findings without the model, on the plain text"
            if let llm {
                let (rewritten, seconds, found) = try await Self.rewrite(
                    plain, lints: plainLints, llm: llm, model: model)
                categories = found
                categorySource = "the tutor's findings (Harper + \(model) rewrite edits)"
                rows.append(
                    (
                        "Harper + \(model) minimal rewrite (the tutor's `corrected`)",
                        gleu(rewritten.map(GLEU.tokenize)), nil
                    ))
                let sorted = seconds.sorted()
                modelNote = String(
                    format: "\nPer sentence with the model: p50 %.2f s, p95 %.2f s (%@ at %@).\n",
                    sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 95 / 100)], model, llm)
            }
            var kinds: [String: Int] = [:]
            for lint in plainLints.joined() { kinds[lint.kind, default: 0] += 1 }
            var text = "# GEC evaluation\n\n"
            let modelOptions =
                (llm.map { " --llm \($0) --model \(model)" } ?? "") + (scoredEdits ? "" : " --no-scored-edits")
                + (fitMargins ? " --fit-margins" : "")
            text +=
                "`cakap eval gec --src \(src) --refs \(refs.joined(separator: " "))\(modelOptions)` on \(Self.today())\n\n"
            text += "\(sources.count) sentences, \(references.count) references each; GLEU as JFLEG defines it "
            text += "(mean of 500 seeded reference draws). The tutor reads the sentences as a learner writes them "
            text += "(`GLEU.detokenize`: \"he's\", \"don't\", \"However, it\") and its output is tokenised again "
            text += "for GLEU; the last column feeds the tokenised file as it is (\"he 's\" reads to Harper as a "
            text += "misspelt \"s\"), as the figures before 2026-12-05 did.\n\n"
            text += "| system | GLEU (plain text) | GLEU (tokenised file as given) |\n|---|---|---|\n"
            for (name, score, tokenised) in rows {
                text +=
                    "| \(name) | \(String(format: "%.3f", score)) | \(tokenised.map { String(format: "%.3f", $0) } ?? "–") |\n"
            }
            text +=
                "\nHarper findings by kind on the plain text (all kinds; the corrector skips \(HarperCorrector.ignoredKinds.sorted().joined(separator: ", "))):\n\n"
            text += "| kind | findings |\n|---|---|\n"
            for (kind, count) in kinds.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                text += "| \(kind) | \(count) |\n"
            }
            text += "\nFindings per category (\(categorySource)):\n\n| category | findings |\n|---|---|\n"
            for category in Category.allCases {
                text += "| \(category.rawValue) | \(categories[category.rawValue] ?? 0) |\n"
            }
            text += String(format: "\nHarper took %.1f s for the whole file (one process).\n", harperSeconds)
            text += modelNote
            text += scoredNote
            print(text)
            if let report { try Data(text.utf8).write(to: URL(fileURLWithPath: report)) }
        }

        /// The tutor's default path on each sentence (Harper as the tutor runs it, names kept, the
        /// learner rules, no model: `FeedbackEngine.combine` as the feedback uses it), and its
        /// findings per category.
        static func tutorCorrections(
            _ sources: [String], lints: [[HarperLint]], wordLevels: WordLevels
        ) -> (
            corrected: [String], categories: [String: Int], edits: [[TextEdit]]
        ) {
            var categories: [String: Int] = [:]
            var edits: [[TextEdit]] = []
            let corrected = zip(sources, lints).map { text, lints in
                let kept = FeedbackEngine.shownLints(harper: lints, text: text, wordLevels: wordLevels).lints
                for lint in kept {
                    if let category = Category.of(harperKind: lint.kind, rule: lint.rule) {
                        categories[category.rawValue, default: 0] += 1
                    }
                }
                edits.append(kept.compactMap(\.firstEdit))
                return TextEdit.apply(edits[edits.count - 1], to: text)
            }
            return (corrected, categories, edits)
        }

        /// The tutor's `corrected` for each sentence (Harper's lints given, the model's rewrite
        /// asked), two at a time; with the time each took.
        static func rewrite(
            _ sources: [String], lints: [[HarperLint]], llm: String, model: String
        ) async throws
            -> ([String], [Double], [String: Int])
        {
            struct Given: GrammarChecker {
                let lints: [HarperLint]
                func check(_ texts: [String]) async throws -> [[HarperLint]] { [lints] }
            }
            return try await withHTTPClient { client in
                let tutor = OllamaTutorModel(baseURLs: [llm], model: model, httpClient: client)
                var results = [String](repeating: "", count: sources.count)
                var seconds = [Double](repeating: 0, count: sources.count)
                var categories: [String: Int] = [:]
                for batch in stride(from: 0, to: sources.count, by: 2) {
                    try await withThrowingTaskGroup(of: (Int, String, Double, [Category]).self) { group in
                        for index in batch..<min(batch + 2, sources.count) {
                            group.addTask {
                                let started = Date()
                                let engine = FeedbackEngine(
                                    checker: Given(lints: lints[index]), model: CorrectionOnly(inner: tutor))
                                let feedback = try await engine.feedback(for: sources[index], language: .en)
                                return (
                                    index, feedback.corrected, Date().timeIntervalSince(started),
                                    feedback.matches.map(\.rule.category)
                                )
                            }
                        }
                        for try await (index, corrected, elapsed, found) in group {
                            results[index] = corrected
                            seconds[index] = elapsed
                            for category in found { categories[category.rawValue, default: 0] += 1 }
                        }
                    }
                }
                return (results, seconds, categories)
            }
        }

        /// The model for corrections only (the evaluation does not need advice).
        struct CorrectionOnly: TutorModel {
            let inner: OllamaTutorModel
            func correct(_ text: String) async throws -> String { try await inner.correct(text) }
            func advise(_ text: String, corrected: String, language: Language) async throws -> Advice { .none }
        }

        static func lines(_ path: String) throws -> [String] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read \(path)")
            }
            var lines = text.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            return lines
        }

        static func today() -> String {
            Date().formatted(.iso8601.year().month().day())
        }
    }
}

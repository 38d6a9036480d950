import Foundation
import Tutoring

/// `cakap eval gec`'s rows for the scored edits: the tutor's default path (rules, then the
/// language model's article, comma and preposition edits) on each sentence, whole set and halves.
extension Eval.GEC {
    /// Each sentence's scored candidates (as the tutor scores them: its gate, window, cap and
    /// budget) and the seconds each took.
    struct ScoredRun {
        var scored: [[(ScoredEdits.Candidate, Double)]]
        var seconds: [Double]
        var overBudget: Int
    }

    static func scoreAll(
        _ texts: [String], edits: [[TextEdit]], scoredEdits: ScoredEdits, wordLevels: WordLevels
    ) async -> ScoredRun {
        var run = ScoredRun(scored: [], seconds: [], overBudget: 0)
        for (text, taken) in zip(texts, edits) {
            let started = Date()
            var scored: [(ScoredEdits.Candidate, Double)] = []
            if FeedbackEngine.worthTheModel(text) {
                if let result = await scoredEdits.scored(text, taken: taken, wordLevels: wordLevels) {
                    scored = result
                } else {
                    run.overBudget += 1
                }
            }
            run.seconds.append(Date().timeIntervalSince(started))
            run.scored.append(scored)
        }
        return run
    }

    /// One JSON line per sentence: `text`, the rules' `edits` and the scored `candidates` (kind,
    /// edit, gain in nats, −99 where the scorer gave none; offsets in Unicode scalars of `text`).
    static func dump(_ texts: [String], edits: [[TextEdit]], run: ScoredRun, to path: String) throws {
        func edit(_ edit: TextEdit) -> [String: Any] {
            ["start": edit.start, "end": edit.end, "replacement": edit.replacement]
        }
        var lines = ""
        for index in texts.indices {
            let object: [String: Any] = [
                "text": texts[index], "edits": edits[index].map(edit),
                "candidates": run.scored[index].map { candidate, gain in
                    ["kind": candidate.kind.rawValue, "edit": edit(candidate.edit), "gain": gain.isFinite ? gain : -99]
                },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            lines += String(decoding: data, as: UTF8.self) + "\n"
        }
        try lines.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The corrections with the chosen scored edits applied on top of the rules' edits.
    static func hypotheses(
        _ texts: [String], edits: [[TextEdit]], run: ScoredRun, margins: [ScoredEdits.Kind: Double]
    ) -> [String] {
        texts.indices.map { index in
            let chosen = ScoredEdits.chosen(run.scored[index], margins: margins).map(\.edit)
            return TextEdit.apply(edits[index] + chosen, to: texts[index])
        }
    }

    /// Margins that maximise GLEU on the lines `fit` selects (coordinate ascent, two rounds, a
    /// grid of half nats from −6 to 10; "off" is a margin too), starting from the shipped ones.
    static func fitMargins(
        _ texts: [String], edits: [[TextEdit]], run: ScoredRun, gleu: ([String], [Int]) -> Double, fit: [Int]
    ) -> [ScoredEdits.Kind: Double] {
        var margins = ScoredEdits.defaultMargins
        let grid = stride(from: -6.0, through: 10.0, by: 0.5).map { $0 } + [Double.infinity]
        var best = gleu(hypotheses(texts, edits: edits, run: run, margins: margins), fit)
        for _ in 0..<2 {
            for kind in ScoredEdits.Kind.allCases {
                for value in grid {
                    var trial = margins
                    trial[kind] = value
                    let score = gleu(hypotheses(texts, edits: edits, run: run, margins: trial), fit)
                    if score > best + 1e-9 {
                        best = score
                        margins = trial
                    }
                }
            }
        }
        return margins
    }

    /// The report's section: GLEU of every system on the whole set, the fit lines and the
    /// held-out lines, the margins, and the cost per sentence.
    static func scoredSection(
        systems: [(String, [String])], gleu: ([String], [Int]) -> Double, count: Int, run: ScoredRun,
        fitted: [ScoredEdits.Kind: Double]?, scoredEdits: ScoredEdits
    ) -> String {
        let all = Array(0..<count)
        // Lines 2, 4, 6… of the file (1-based even) fit the margins; lines 1, 3, 5… are held out.
        let even = all.filter { $0 % 2 == 1 }
        let odd = all.filter { $0 % 2 == 0 }
        var text = "\n## Whole set and halves (plain text)\n\n"
        text += "Margins are fitted on the file's even-numbered lines (2, 4, 6…; \(even.count) sentences) only; "
        text += "the odd-numbered lines (\(odd.count)) are held out.\n\n"
        text += "| system | whole | even lines (fit) | odd lines (held out) |\n|---|---|---|---|\n"
        for (name, hypotheses) in systems {
            let scores = [all, even, odd].map { String(format: "%.3f", gleu(hypotheses, $0)) }
            text += "| \(name) | \(scores.joined(separator: " | ")) |\n"
        }
        func describe(_ margins: [ScoredEdits.Kind: Double]) -> String {
            ScoredEdits.Kind.allCases.map { kind in
                let value = margins[kind] ?? .infinity
                return "\(kind.rawValue) \(value.isFinite ? String(format: "%.1f", value) : "off")"
            }.joined(separator: ", ")
        }
        text += "\nShipped margins (nats): \(describe(scoredEdits.margins)).\n"
        if let fitted { text += "Margins fitted on the even lines by this run: \(describe(fitted)).\n" }
        let candidates = run.scored.map(\.count)
        let seconds = run.seconds.sorted()
        let percentile = { (p: Double) in seconds[min(seconds.count - 1, Int(Double(seconds.count) * p))] }
        text += String(
            format:
                "\nScored edits' cost per sentence (candidate generation and one cakap-lmscore batch, sentences one at a time): p50 %.3f s, p95 %.3f s, max %.3f s, mean %.3f s; candidates per sentence: mean %.1f, max %d (cap %d, window %d tokens, budget %@); %d sentences ran out of the budget and kept the rules' result.\n",
            percentile(0.5), percentile(0.95), seconds.last ?? 0, seconds.reduce(0, +) / Double(max(seconds.count, 1)),
            Double(candidates.reduce(0, +)) / Double(max(candidates.count, 1)), candidates.max() ?? 0,
            scoredEdits.maxCandidates, scoredEdits.window, "\(scoredEdits.budget)", run.overBudget)
        var applied: [String: Int] = [:]
        for scored in run.scored {
            for candidate in ScoredEdits.chosen(scored, margins: scoredEdits.margins) {
                applied[candidate.kind.rawValue, default: 0] += 1
            }
        }
        text += "\nScored edits applied with the shipped margins, by kind: "
        text += ScoredEdits.Kind.allCases.map { "\($0.rawValue) \(applied[$0.rawValue] ?? 0)" }.joined(separator: ", ")
        text += ".\n"
        return text
    }
}

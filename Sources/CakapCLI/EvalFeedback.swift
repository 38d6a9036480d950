import ArgumentParser
import AsyncHTTPClient
import Foundation
import Provisioning
import TutorService
import Tutoring

/// `cakap eval feedback`: the tutor's findings, better words and tips on a learner-error dev set
/// (issue 18), as a markdown report with a sample a person can read.
struct EvalFeedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract: "Precision and recall of the tutor's findings on a learner-error dev set (markdown report).")

    @Option(help: "The dev set: JSON lines {id, text, findings: [{start, end, span, category, correction}]}.")
    var data: String = "tests/data/feedback-dev.jsonl"
    @Option(help: "Write the markdown report here.") var report: String?
    @Option(help: "Language of explanations and tips (en or id).") var lang: String = "en"
    @Option(help: "Also ask the model (base URL of a worker or balancer); see --rewrite and --advice.") var llm: String?
    @Option(help: "The model.") var model: String = "gemma3:270m"
    @Flag(help: "With --llm: use the model's rewrite.") var rewrite = false
    @Flag(help: "With --llm: use the model's better words and tips (through the quality gate).") var advice = false
    @Option(help: "Sentences in the report's sample.") var sample: Int = 20
    @Flag(
        inversion: .prefixedNo,
        help: "Article, comma and preposition edits scored by SmolLM2-135M (as `cakap tutor`, on by default).")
    var scoredEdits = true

    func run() async throws {
        guard let language = Language(rawValue: lang) else { throw ValidationError("--lang must be en or id") }
        guard let raw = FileManager.default.contents(atPath: data) else { throw ValidationError("cannot read \(data)") }
        let decoder = JSONDecoder()
        let sentences = try String(decoding: raw, as: UTF8.self).split(separator: "\n").map {
            try decoder.decode(DevSentence.self, from: Data($0.utf8))
        }
        let paths = CakapPaths.fromEnvironment()
        let wordLevels = WordLevels.load(path: paths.wordLevels)
        if wordLevels.isEmpty { say("warning: no word levels at \(paths.wordLevels); run `cakap setup`") }
        let checker = HarperProcess(executable: paths.harperCLI)
        var scored: ScoredEdits?
        if scoredEdits {
            let (made, reason) = ScoredEditsOption.make(paths: paths)
            guard let made else { throw ValidationError("scored edits: \(reason ?? "")") }
            scored = made
        }
        var use: FeedbackEngine.ModelUse = []
        if rewrite { use.insert(.rewrite) }
        if advice { use.insert(.advice) }
        let results: [(Feedback, Double)] = try await withHTTPClient { client in
            let tutor = OllamaTutorModel(baseURLs: llm.map { [$0] } ?? [], model: model, httpClient: client)
            let engine = FeedbackEngine(
                checker: checker, model: tutor, wordLevels: wordLevels, modelUse: llm == nil ? [] : use,
                scoredEdits: scored)
            var results: [(Feedback, Double)] = []
            // One learner: one message at a time, as the latency target is stated.
            for sentence in sentences {
                let started = Date()
                let feedback = try await engine.feedback(for: sentence.text, language: language)
                results.append((feedback, Date().timeIntervalSince(started)))
            }
            return results
        }
        var evaluation = FeedbackEvaluation()
        for (sentence, result) in zip(sentences, results) { evaluation.add(sentence, result.0) }
        let text = render(evaluation, sentences: sentences, results: results)
        print(text)
        if let report { try Data(text.utf8).write(to: URL(fileURLWithPath: report)) }
    }

    func render(_ evaluation: FeedbackEvaluation, sentences: [DevSentence], results: [(Feedback, Double)]) -> String {
        let e = evaluation
        func share(_ part: Int, _ whole: Int) -> String {
            whole == 0 ? "–" : String(format: "%.3f (%d/%d)", Double(part) / Double(whole), part, whole)
        }
        let options = [
            llm.map { "--llm \($0) --model \(model)" }, rewrite ? "--rewrite" : nil, advice ? "--advice" : nil,
            lang == "en" ? nil : "--lang \(lang)", scoredEdits ? nil : "--no-scored-edits",
        ].compactMap { $0 }.joined(separator: " ")
        var text = "# Feedback on the learner-error dev set\n\n"
        text += "`cakap eval feedback --data \(data)\(options.isEmpty ? "" : " " + options)` on \(Eval.GEC.today())\n\n"
        text += "\(e.sentences) sentences written in the style of Indonesian A2–B1 learners, "
        text += "\(e.total.expected) expected findings. A finding counts as right when it marks words of an expected "
        text += "finding; its category and its first replacement are compared separately.\n\n"
        text += "| measure | value |\n|---|---|\n"
        text += "| precision of findings | \(share(e.total.correct, e.total.predicted)) |\n"
        text += "| recall of findings | \(share(e.total.found, e.total.expected)) |\n"
        text += "| right findings with the expected category | \(share(e.sameCategory, e.total.correct)) |\n"
        text += "| right findings with the expected replacement | \(share(e.sameCorrection, e.total.correct)) |\n"
        text += "| sentences whose `corrected` is the expected one | \(share(e.sentencesCorrected, e.sentences)) |\n"
        text +=
            "| messages with a finding that have better words or a tip | \(share(e.withEither, e.messagesWithFinding)) |\n"
        text += "| … that have better words | \(share(e.withBetterWords, e.messagesWithFinding)) |\n"
        text += "| … that have a tip | \(share(e.withTips, e.messagesWithFinding)) |\n"
        let seconds = results.map(\.1).sorted()
        let percentile = { (p: Double) in seconds[min(seconds.count - 1, Int(Double(seconds.count) * p))] }
        text += String(
            format: "| latency per message (one at a time) | p50 %.2f s, p95 %.2f s, max %.2f s |\n\n", percentile(0.5),
            percentile(0.95), seconds.last ?? 0)
        text += "Per category (precision by the tutor's category, recall by the dev set's):\n\n"
        text += "| category | findings | precision | expected | recall |\n|---|---|---|---|---|\n"
        for category in Category.allCases.map(\.rawValue) {
            let counts = e.byCategory[category] ?? .init()
            guard counts.predicted + counts.expected > 0 else { continue }
            text += "| \(category) | \(counts.predicted) | \(share(counts.correct, counts.predicted)) | "
            text += "\(counts.expected) | \(share(counts.found, counts.expected)) |\n"
        }
        text += "\n## Findings on no expected words (\(e.falsePositives.count))\n\n"
        for (id, line) in e.falsePositives { text += "- #\(id): \(line)\n" }
        text += "\n## Expected findings missed (\(e.misses.count))\n\n"
        for (id, line) in e.misses { text += "- #\(id): \(line)\n" }
        text += "\n## A sample of \(min(sample, sentences.count)) answers, as a learner reads them\n"
        let step = max(1, sentences.count / max(sample, 1))
        for index in stride(from: 0, to: sentences.count, by: step).prefix(sample) {
            text += Self.describe(sentences[index], results[index].0)
        }
        return text
    }

    static func describe(_ sentence: DevSentence, _ feedback: Feedback) -> String {
        let utf16 = Array(sentence.text.utf16)
        var text = "\n**#\(sentence.id)** \(sentence.text)\n\n"
        let findings = feedback.matches.map { match in
            let shown = String(decoding: utf16[match.offset..<match.offset + match.length], as: UTF16.self)
            return "“\(shown)” → “\(match.replacements.first ?? "")” (\(match.shortMessage)): \(match.message)"
        }
        text += "- findings: \(findings.isEmpty ? "none" : "")\n"
        for finding in findings { text += "  - \(finding)\n" }
        text += "- corrected: \(feedback.corrected)\n"
        if sentence.corrected != feedback.corrected { text += "- expected: \(sentence.corrected)\n" }
        let words = feedback.advice.betterWords.map { "“\($0.original)” → “\($0.suggestion)” (\($0.reason))" }
        text += "- better words: \(words.isEmpty ? "none" : words.joined(separator: "; "))\n"
        text += "- tips: \(feedback.advice.tips.isEmpty ? "none" : "")\n"
        for tip in feedback.advice.tips { text += "  - \(tip)\n" }
        return text
    }
}

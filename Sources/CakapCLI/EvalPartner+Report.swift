import Foundation
import Tutoring

/// What the learner would read in one reply, measured (issue 17).
struct ReplyMeasures {
    /// A template or role token, or a made-up next turn ("User: …").
    var leaked: Bool
    var words: Int
    var sentences: Int
    var questions: Int
    /// A three-word phrase three times or more.
    var runaway: Bool
    /// Words in neither the CEFR English list nor the learner's own turns (names they used).
    var nonEnglish: Int
    /// The partner gives itself a name other than Cakap, or speaks as the learner.
    var identityClaim: Bool

    init(_ text: String, conversation: [Turn], wordLevels: WordLevels) {
        var notes: [String] = []
        _ = PartnerGuard.cutAtLeakedTurn(text, notes: &notes)
        leaked = !notes.isEmpty
        let words = PartnerGuard.words(of: text)
        self.words = words.count
        let sentences = PartnerGuard.sentences(of: text.replacingOccurrences(of: "\n", with: " "))
        self.sentences = sentences.count
        questions = sentences.filter { $0.hasSuffix("?") }.count
        var grams: [String: Int] = [:]
        for index in words.indices.dropLast(2) {
            grams[words[index...(index + 2)].joined(separator: " "), default: 0] += 1
        }
        runaway = grams.values.contains { $0 >= 3 }
        let known = PartnerGuard.conversationWords(conversation.filter { $0.role == "user" })
        nonEnglish = words.filter { !PartnerGuard.isEnglish($0, known: known, wordLevels) }.count
        let learner = conversation.filter { $0.role == "user" }.map(\.content)
        identityClaim = sentences.contains { PartnerGuard.claimsIdentity($0, learner: learner) }
    }
}

struct PartnerReply {
    var learner: String
    var raw: String
    var guarded: PartnerGuard.Result
    var seconds: Double
    var measures: ReplyMeasures
    var rawMeasures: ReplyMeasures
}

struct PartnerTranscript {
    var dialogue: PartnerDialogue
    var replies: [PartnerReply]
}

/// The figures over all replies, for what the learner reads and for the model's raw reply.
struct PartnerSummary {
    struct Figures {
        var replies = 0
        var leaked = 0
        var over50Words = 0
        var overOneQuestion = 0
        var runaway = 0
        var nonEnglish = 0
        var tokens = 0
        var identity = 0
        var meanWords = 0.0

        init(_ measures: [ReplyMeasures]) {
            replies = measures.count
            leaked = measures.filter(\.leaked).count
            over50Words = measures.filter { $0.words > 50 }.count
            overOneQuestion = measures.filter { $0.questions > 1 }.count
            runaway = measures.filter(\.runaway).count
            nonEnglish = measures.map(\.nonEnglish).reduce(0, +)
            tokens = measures.map(\.words).reduce(0, +)
            identity = measures.filter(\.identityClaim).count
            meanWords = replies == 0 ? 0 : Double(tokens) / Double(replies)
        }

        var runawayShare: Double { replies == 0 ? 0 : Double(runaway) / Double(replies) }
        var nonEnglishShare: Double { tokens == 0 ? 0 : Double(nonEnglish) / Double(tokens) }
    }

    let guarded: Figures
    let raw: Figures
    let p50: Double
    let p95: Double

    init(_ transcripts: [PartnerTranscript]) {
        let replies = transcripts.flatMap(\.replies)
        guarded = Figures(replies.map(\.measures))
        raw = Figures(replies.map(\.rawMeasures))
        let seconds = replies.map(\.seconds).sorted()
        p50 = seconds.isEmpty ? 0 : seconds[seconds.count / 2]
        p95 =
            seconds.isEmpty ? 0 : seconds[min(seconds.count - 1, Int((Double(seconds.count) * 0.95).rounded(.up)) - 1)]
    }

    /// The first of issue 17's targets that the guarded replies miss, if any.
    var missedTarget: String? {
        if guarded.leaked > 0 { return "\(guarded.leaked) replies leak template or role tokens" }
        if guarded.over50Words > 0 { return "\(guarded.over50Words) replies over 50 words" }
        if guarded.runawayShare > 0.02 { return "runaway repetition in \(percent(guarded.runawayShare)) of replies" }
        if guarded.nonEnglishShare > 0.02 { return "\(percent(guarded.nonEnglishShare)) of tokens not English" }
        if guarded.overOneQuestion > 0 { return "\(guarded.overOneQuestion) replies ask more than one question" }
        if guarded.identity > 0 { return "\(guarded.identity) replies claim a name or the learner's identity" }
        return nil
    }

    var table: String {
        func row(_ name: String, _ target: String, _ value: (Figures) -> String) -> String {
            "| \(name) | \(target) | \(value(raw)) | \(value(guarded)) |\n"
        }
        var text = "| measure | target | model's raw reply | what the learner reads |\n|---|---|---|---|\n"
        text += row("replies", "", { "\($0.replies)" })
        text += row("template or role tokens leaked", "0", { "\($0.leaked)" })
        text += row("replies over 50 words", "0", { "\($0.over50Words)" })
        text += row("mean words per reply", "", { String(format: "%.1f", $0.meanWords) })
        text += row(
            "runaway repetition (a 3-gram 3+ times)", "≤ 2 %", { "\($0.runaway) (\(percent($0.runawayShare)))" })
        text += row(
            "tokens not English", "≤ 2 %", { "\($0.nonEnglish) of \($0.tokens) (\(percent($0.nonEnglishShare)))" })
        text += row("replies with more than one question", "0", { "\($0.overOneQuestion)" })
        text += row("name or learner's identity claimed", "0", { "\($0.identity)" })
        text += String(format: "\nReply time (plan + model + guard): p50 %.2f s, p95 %.2f s.\n", p50, p95)
        return text
    }
}

func percent(_ share: Double) -> String { String(format: "%.1f %%", share * 100) }

/// The markdown report: the figures, then every transcript.
enum PartnerReport {
    static func markdown(
        _ transcripts: [PartnerTranscript], summary: PartnerSummary, command: String, date: String
    )
        -> String
    {
        var text = "# Chat partner evaluation\n\n`\(command)` on \(date)\n\n"
        text += "\(transcripts.count) dialogues written like Indonesian learners at A2–B2 (errors included), "
        text += "each turn through the partner's path: the tutor's plan (prompt and sampling for small models), "
        text += "the model's `/api/chat`, the tutor's guard. \"What the learner reads\" is the guarded reply.\n\n"
        text += summary.table
        text += "\n## Transcripts\n"
        for transcript in transcripts {
            let dialogue = transcript.dialogue
            text += "\n### \(dialogue.id) (\(dialogue.level), \(dialogue.scenario ?? "free conversation"))\n\n"
            if let card = dialogue.scenario.flatMap(PartnerScenario.named) {
                text += "> **Cakap:** \(card.opener)\n>\n"
            }
            for reply in transcript.replies {
                text += "> **Learner:** \(reply.learner)\n>\n"
                text += "> **Cakap:** \(reply.guarded.reply) _(\(String(format: "%.1f", reply.seconds)) s)_\n>\n"
                if reply.raw.trimmingCharacters(in: .whitespacesAndNewlines) != reply.guarded.reply {
                    let raw = reply.raw.replacingOccurrences(of: "\n", with: "⏎").prefix(400)
                    text +=
                        "> <sub>model wrote: \(raw) — guard: \(reply.guarded.notes.joined(separator: "; "))</sub>\n>\n"
                }
            }
        }
        return text
    }
}

import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import Provisioning
import Tutoring

/// `cakap eval partner` (issue 17): learner dialogues through the chat partner's path — the
/// tutor's plan (prompt, sampling), the model's `/api/chat`, the tutor's guard — with per-reply
/// measures of what a learner reads, and every transcript, as a markdown report.
struct EvalPartner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partner", abstract: "The chat partner on learner dialogues: leaks, length, language, latency.")

    @Option(help: "Base URL of a worker or balancer (its /api/chat).") var llm: String = "http://127.0.0.1:11434"
    @Option(help: "The chat model.") var model: String = "smollm2:135m"
    @Option(help: "Dialogues (JSON): id, level, scenario, turns (default: tests/support/partner-dialogues.json).")
    var dialogues: String?
    @Option(help: "Write the markdown report here.") var report: String?
    @Option(help: "Only the first N dialogues.") var limit: Int?
    @Flag(help: "Exit with status 1 when a target of issue 17 is missed.") var check = false

    func run() async throws {
        let dialogues = try self.dialogues ?? Repository.path("tests/support/partner-dialogues.json")
        guard let data = FileManager.default.contents(atPath: dialogues),
            var cases = try? JSONDecoder().decode([PartnerDialogue].self, from: data)
        else { throw ValidationError("cannot read the dialogues in \(dialogues)") }
        if let limit { cases = Array(cases.prefix(limit)) }
        let wordLevels = WordLevels.load(path: CakapPaths.fromEnvironment().wordLevels)
        guard !wordLevels.isEmpty else { throw ValidationError("no CEFR word list; run `cakap setup`") }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var transcripts: [PartnerTranscript] = []
        do {
            for dialogue in cases {
                transcripts.append(
                    try await Self.converse(dialogue, llm: llm, model: model, wordLevels: wordLevels, client: client))
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        let summary = PartnerSummary(transcripts)
        let command = "cakap eval partner --llm \(llm) --model \(model)" + (limit.map { " --limit \($0)" } ?? "")
        let text = PartnerReport.markdown(transcripts, summary: summary, command: command, date: Eval.GEC.today())
        if let report { try Data(text.utf8).write(to: URL(fileURLWithPath: report)) }
        print(summary.table)
        if check, let failure = summary.missedTarget {
            print("target missed: \(failure)")
            throw ExitCode(1)
        }
    }

    /// One dialogue: the card's opener, then per learner turn the plan, the model, the guard.
    static func converse(
        _ dialogue: PartnerDialogue, llm: String, model: String, wordLevels: WordLevels, client: HTTPClient
    ) async throws -> PartnerTranscript {
        let scenario = dialogue.scenario.flatMap(PartnerScenario.named)
        var conversation: [Turn] = scenario.map { [Turn(role: "assistant", content: $0.opener)] } ?? []
        var replies: [PartnerReply] = []
        for learnerTurn in dialogue.turns {
            conversation.append(Turn(role: "user", content: learnerTurn))
            let plan = ChatPartner.plan(
                conversation: conversation, level: CEFRBand(rawValue: dialogue.level), wordLevels: wordLevels,
                scenario: scenario)
            let started = ContinuousClock.now
            let raw = try await chat(plan, llm: llm, model: model, client: client)
            let guarded = PartnerGuard.clean(
                raw, conversation: conversation, scenario: scenario, wordLevels: wordLevels,
                indonesian: plan.language == .id)
            let seconds = (ContinuousClock.now - started) / .seconds(1)
            replies.append(
                PartnerReply(
                    learner: learnerTurn, raw: raw, guarded: guarded, seconds: seconds,
                    measures: ReplyMeasures(guarded.reply, conversation: conversation, wordLevels: wordLevels),
                    rawMeasures: ReplyMeasures(raw, conversation: conversation, wordLevels: wordLevels)))
            conversation.append(Turn(role: "assistant", content: guarded.reply))
        }
        return PartnerTranscript(dialogue: dialogue, replies: replies)
    }

    /// One non-streamed `/api/chat` with the plan's messages and sampling, as the web app sends it.
    static func chat(_ plan: ChatPartner.Plan, llm: String, model: String, client: HTTPClient) async throws -> String {
        struct Body: Encodable {
            let model: String
            let messages: [Turn]
            let stream = false
            let options: PartnerSampling
        }
        struct Answer: Decodable {
            struct Message: Decodable { let content: String }
            let message: Message?
            let error: String?
        }
        var request = HTTPClientRequest(url: llm + "/api/chat")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(
            ByteBuffer(
                data: try JSONEncoder().encode(Body(model: model, messages: plan.messages, options: plan.options))))
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let answer = try? JSONDecoder().decode(Answer.self, from: Data(buffer: bytes))
        guard response.status == .ok, let content = answer?.message?.content else {
            throw ValidationError(
                "\(llm)/api/chat answered \(response.status.code): \(answer?.error ?? String(buffer: bytes))")
        }
        return content
    }
}

/// A dialogue of the evaluation set: a learner's turns, written as they write.
struct PartnerDialogue: Decodable {
    var id: String
    /// The learner's band (A2–B2).
    var level: String
    /// A topic card id, or none for free conversation.
    var scenario: String?
    /// The learner's turns, in order.
    var turns: [String]
}

import Foundation
import ServiceShell

/// The tutor's HTTP routes as one pure function (R-APP-1..5, R-APP-8), served by `cakap tutor`
/// behind the edge and by the tutor Lambda behind API Gateway:
///
///     POST /tutor/feedback   one learner message → findings, corrected, better words, tips, recurring
///     POST /tutor/score      a conversation → nine aspects 0–100, CEFR band, features
///     POST /tutor/partner    a conversation → the chat partner's messages and options for
///                            /{region}/chat; with `reply`, that reply cleaned by the guard
///
/// The caller is already authenticated (its `sub` given); bad input is a 400 naming the problem.
public struct TutorAPI: RoutedAPI {
    let feedback: FeedbackEngine
    let scores: ScoreEngine
    let wordLevels: WordLevels
    let history: (any MistakeHistory)?
    let historyDeadline: Duration

    /// Largest request body (413 beyond).
    public static let maxBodyBytes = 256 * 1024
    /// Longest learner message for feedback, in characters.
    public static let maxTextCharacters = 5000
    /// Most turns of a conversation for scores and the partner; longest turn.
    public static let maxTurns = 200
    public static let maxTurnCharacters = 16_000

    public init(
        feedback: FeedbackEngine, scores: ScoreEngine, wordLevels: WordLevels, history: (any MistakeHistory)?,
        historyDeadline: Duration = .seconds(3)
    ) {
        self.feedback = feedback
        self.scores = scores
        self.wordLevels = wordLevels
        self.history = history
        self.historyDeadline = historyDeadline
    }

    /// The one route table.
    public func handle(_ request: APIRequest) async -> APIResponse {
        // Both servers check the token first; a request without a caller reached us misconfigured.
        guard let caller = request.caller else { return .error(401, "no authenticated caller") }
        let routes = ["/tutor/feedback", "/tutor/score", "/tutor/partner"]
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        guard routes.contains(path) else {
            return .error(404, "no route \(path); the tutor has \(routes.joined(separator: ", "))")
        }
        guard request.method == "POST" else { return .error(405, "\(path) takes POST") }
        guard request.body.count <= Self.maxBodyBytes else {
            return .error(413, "the body is larger than \(Self.maxBodyBytes) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)),
            let fields = object as? [String: Any]
        else { return .error(400, "the body must be a JSON object") }
        do {
            switch path {
            case "/tutor/feedback":
                return try await feedback(fields, caller: caller, authorization: request.authorization)
            case "/tutor/score": return try await score(fields)
            default: return try partner(fields)
            }
        } catch let problem as Problem {
            return .error(400, problem.message)
        } catch {
            return .error(503, "the checker is unavailable; try again", internalError: "\(error)")
        }
    }

    struct Problem: Error {
        let message: String
    }

    // MARK: - Handlers

    func feedback(_ fields: [String: Any], caller: String, authorization: String?) async throws -> APIResponse {
        try Self.allow(fields, ["text", "lang", "context", "conversation_id", "history"])
        guard let text = fields["text"] as? String else {
            throw Problem(message: "\"text\" is required and must be a string")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Problem(message: "\"text\" is empty")
        }
        guard text.count <= Self.maxTextCharacters else {
            throw Problem(message: "\"text\" is longer than \(Self.maxTextCharacters) characters")
        }
        let language = try Self.language(fields)
        var conversationID: UUID?
        if let raw = fields["conversation_id"], !(raw is NSNull) {
            guard let string = raw as? String, let id = UUID(uuidString: string) else {
                throw Problem(message: "\"conversation_id\" must be a UUID")
            }
            conversationID = id
        }
        var earlierTurns: [Category: Int] = [:]
        if let raw = fields["history"], !(raw is NSNull) {
            guard let turns = raw as? [Any] else { throw Problem(message: "\"history\" must be a list of messages") }
            for (index, item) in turns.suffix(Self.maxTurns).enumerated() {
                guard let turn = item as? [String: Any] else {
                    throw Problem(message: "history[\(index)] must be an object with role, content and feedback")
                }
                guard turn["role"] as? String == "user" else { continue }
                for category in Recurring.categories(ofFeedback: turn["feedback"]) {
                    earlierTurns[category, default: 0] += 1
                }
            }
        }
        let history = history
        let deadline = historyDeadline
        let conversation = conversationID
        let authorization = authorization ?? ""
        async let earlier: [Category: Int]? = {
            guard let history, let conversation else { return nil }
            return await FeedbackEngine.within(deadline) {
                try await history.earlierCategories(
                    uid: caller, conversationID: conversation, authorization: authorization)
            }
        }()
        let result = try await feedback.feedback(for: text, language: language)
        let recurring = Recurring.find(
            current: result.matches, earlierTurns: earlierTurns, earlierConversations: await earlier ?? [:],
            language: language)
        return .json(FeedbackResponse(result, language: language, recurring: recurring))
    }

    func score(_ fields: [String: Any]) async throws -> APIResponse {
        try Self.allow(fields, ["conversation", "lang"])
        let turns = try Self.turns(fields["conversation"])
        let language = try Self.language(fields)
        guard turns.contains(where: { $0.role == "user" && !$0.content.trimmingCharacters(in: .whitespaces).isEmpty })
        else { throw Problem(message: "\"conversation\" has no learner (user) turn to score") }
        return .json(try await scores.score(conversation: turns, language: language))
    }

    func partner(_ fields: [String: Any]) throws -> APIResponse {
        try Self.allow(fields, ["conversation", "level", "scenario", "reply"])
        let turns = try Self.turns(fields["conversation"])
        var level: CEFRBand?
        if let raw = fields["level"], !(raw is NSNull) {
            guard let string = raw as? String, let band = CEFRBand(rawValue: string.uppercased()) else {
                throw Problem(message: "\"level\" must be one of A1, A2, B1, B2, C1, C2")
            }
            level = band
        }
        var scenario: PartnerScenario?
        if let raw = fields["scenario"], !(raw is NSNull) {
            guard let id = raw as? String, let card = PartnerScenario.named(id) else {
                let ids = PartnerScenario.all.map(\.id).joined(separator: ", ")
                throw Problem(message: "\"scenario\" must be one of \(ids)")
            }
            scenario = card
        }
        let plan = ChatPartner.plan(conversation: turns, level: level, wordLevels: wordLevels, scenario: scenario)
        var reply: PartnerGuard.Result?
        if let raw = fields["reply"], !(raw is NSNull) {
            guard let text = raw as? String, text.count <= Self.maxTurnCharacters else {
                throw Problem(message: "\"reply\" must be a string of at most \(Self.maxTurnCharacters) characters")
            }
            reply = PartnerGuard.clean(
                text, conversation: turns, scenario: scenario, wordLevels: wordLevels, indonesian: plan.language == .id)
        }
        return .json(PartnerResponse(plan: plan, reply: reply, scenarios: PartnerScenario.all))
    }

    // MARK: - Parsing

    static func allow(_ fields: [String: Any], _ allowed: [String]) throws {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw Problem(message: "unknown field \"\(unknown)\"; allowed: \(allowed.joined(separator: ", "))")
        }
    }

    static func language(_ fields: [String: Any]) throws -> Language {
        guard let raw = fields["lang"], !(raw is NSNull) else { return .en }
        guard let code = raw as? String, let language = Language(rawValue: code) else {
            throw Problem(message: "\"lang\" must be \"en\" or \"id\"")
        }
        return language
    }

    static func turns(_ raw: Any?) throws -> [Turn] {
        guard let items = raw as? [Any] else {
            throw Problem(message: "\"conversation\" is required: a list of {\"role\", \"content\"} messages")
        }
        guard items.count <= maxTurns else {
            throw Problem(message: "\"conversation\" has \(items.count) messages; the limit is \(maxTurns)")
        }
        return try items.enumerated().map { index, item in
            guard let fields = item as? [String: Any] else {
                throw Problem(message: "conversation[\(index)] must be an object with role and content")
            }
            guard let role = fields["role"] as? String, ["system", "user", "assistant"].contains(role) else {
                throw Problem(message: "conversation[\(index)].role must be one of system, user, assistant")
            }
            guard let content = fields["content"] as? String else {
                throw Problem(message: "conversation[\(index)].content must be a string")
            }
            guard content.count <= maxTurnCharacters else {
                throw Problem(message: "conversation[\(index)].content is longer than \(maxTurnCharacters) characters")
            }
            return Turn(role: role, content: content)
        }
    }
}

/// The answer of `POST /tutor/feedback`: LanguageTool-shaped matches plus the tutor's extras.
struct FeedbackResponse: Encodable {
    let text: String
    let language: String
    let matches: [Match]
    let corrected: String
    let betterWords: [Advice.BetterWord]
    let tips: [String]
    let recurring: [RecurringMistake]

    init(_ feedback: Feedback, language: Language, recurring: [RecurringMistake]) {
        text = feedback.text
        self.language = language.rawValue
        matches = feedback.matches
        corrected = feedback.corrected
        betterWords = feedback.advice.betterWords
        tips = feedback.advice.tips
        self.recurring = recurring
    }

    enum CodingKeys: String, CodingKey {
        case text, language, matches, corrected, tips, recurring
        case betterWords = "better_words"
    }
}

/// The answer of `POST /tutor/partner`: the plan's fields, the topic cards, and the guarded
/// reply when one was sent.
struct PartnerResponse: Encodable {
    let plan: ChatPartner.Plan
    let reply: PartnerGuard.Result?
    let scenarios: [PartnerScenario]

    enum CodingKeys: String, CodingKey {
        case messages, language, level, options, scenario, reply, guarded, scenarios
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(plan.messages, forKey: .messages)
        try container.encode(plan.language, forKey: .language)
        try container.encode(plan.level, forKey: .level)
        try container.encode(plan.options, forKey: .options)
        try container.encodeIfPresent(plan.scenario, forKey: .scenario)
        try container.encodeIfPresent(reply?.reply, forKey: .reply)
        try container.encodeIfPresent(reply?.notes, forKey: .guarded)
        try container.encode(scenarios, forKey: .scenarios)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import Tutoring

/// `cakap tutor`: `POST /tutor/feedback` over HTTP (issue 5), verifying the caller's ID token
/// itself, like `cakap conversations`.
public struct TutorServer: Sendable {
    /// Longest learner message, in characters (400 beyond).
    public static let maxTextCharacters = 5000
    /// Largest request body (413 beyond).
    public static let maxBodyBytes = 64 * 1024

    let engine: FeedbackEngine
    let verifier: TokenVerifier
    let logger: Logger

    public init(engine: FeedbackEngine, verifier: TokenVerifier, logger: Logger) {
        self.engine = engine
        self.verifier = verifier
        self.logger = logger
    }

    /// The HTTP application on `host:port`.
    public func application(host: String, port: Int) -> some ApplicationProtocol {
        Application(router: makeRouter(), configuration: .init(address: .hostname(host, port: port)), logger: logger)
    }

    /// The route table.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok" }
        router.post("/tutor/feedback") { request, context in try await self.feedback(request, context: context) }
        return router
    }

    /// `{"text": "...", "lang": "en"|"id"}` → matches, corrected, better_words, tips.
    func feedback(_ request: Request, context: BasicRequestContext) async throws -> Response {
        do {
            _ = try await verifier.verify(authorizationHeader: request.headers[.authorization])
        } catch {
            return Self.error(.unauthorized, "sign in again: \(error)")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            return Self.error(.contentTooLarge, "the body is larger than \(Self.maxBodyBytes) bytes")
        }
        let input: FeedbackRequest
        switch FeedbackRequest.parse(Data(buffer: body)) {
        case .success(let parsed): input = parsed
        case .failure(let problem): return Self.error(.badRequest, problem.message)
        }
        do {
            let feedback = try await engine.feedback(for: input.text, language: input.language)
            return Self.json(FeedbackResponse(feedback, language: input.language))
        } catch {
            logger.error("feedback failed", metadata: ["error": "\(error)"])
            return Self.error(.serviceUnavailable, "the checker is unavailable; try again")
        }
    }

    static func json(_ value: some Encodable) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if status == .serviceUnavailable { headers[.retryAfter] = "2" }
        let data = (try? JSONEncoder().encode(["error": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A problem with the request, said plainly.
struct RequestProblem: Error {
    let message: String
}

/// The body of `POST /tutor/feedback`.
struct FeedbackRequest {
    var text: String
    var language: Language

    static func parse(_ data: Data) -> Result<FeedbackRequest, RequestProblem> {
        guard let object = try? JSONSerialization.jsonObject(with: data), let fields = object as? [String: Any] else {
            return .failure(.init(message: "the body must be a JSON object with \"text\""))
        }
        if let unknown = fields.keys.sorted().first(where: { !["text", "lang", "context"].contains($0) }) {
            return .failure(.init(message: "unknown field \"\(unknown)\"; allowed: text, lang, context"))
        }
        guard let text = fields["text"] as? String else {
            return .failure(.init(message: "\"text\" is required and must be a string"))
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(.init(message: "\"text\" is empty"))
        }
        guard text.count <= TutorServer.maxTextCharacters else {
            return .failure(.init(message: "\"text\" is longer than \(TutorServer.maxTextCharacters) characters"))
        }
        var language = Language.en
        if let raw = fields["lang"] {
            guard let code = raw as? String, let parsed = Language(rawValue: code) else {
                return .failure(.init(message: "\"lang\" must be \"en\" or \"id\""))
            }
            language = parsed
        }
        return .success(FeedbackRequest(text: text, language: language))
    }
}

/// The answer: LanguageTool-shaped matches plus the tutor's extras.
struct FeedbackResponse: Encodable {
    let text: String
    let language: String
    let matches: [Match]
    let corrected: String
    let betterWords: [Advice.BetterWord]
    let tips: [String]

    init(_ feedback: Feedback, language: Language) {
        text = feedback.text
        self.language = language.rawValue
        matches = feedback.matches
        corrected = feedback.corrected
        betterWords = feedback.advice.betterWords
        tips = feedback.advice.tips
    }

    enum CodingKeys: String, CodingKey {
        case text, language, matches, corrected, tips
        case betterWords = "better_words"
    }
}

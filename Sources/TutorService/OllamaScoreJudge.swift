import AsyncHTTPClient
import Foundation
import NIOCore
import OllamaAPI
import OllamaClient
import Tutoring

/// The model's judgement of a learner's writing through the scoring pool's `/api/generate`
/// (R-LLM-5's path rule sends it there): a JSON schema `{overall: 1–5, reason}`, temperature 0.
public struct OllamaScoreJudge: ScoreJudge {
    let client: OllamaClient
    let model: String

    public init(baseURLs: [String], model: String, httpClient: HTTPClient, timeout: TimeAmount = .seconds(30)) {
        self.client = OllamaClient(baseURLs: baseURLs, httpClient: httpClient, timeout: timeout)
        self.model = model
    }

    static let system = """
        You are an experienced English teacher rating a learner's writing from 1 to 5: 1 = many errors \
        and very simple words, 3 = understandable with some errors, 5 = fluent and almost error-free. \
        Reply with JSON: the score and one short sentence of reason.
        """

    public func judge(_ learnerText: String) async throws -> Judgement {
        struct Answer: Decodable {
            let overall: Double
            let reason: String?
        }
        let schema: JSONValue = [
            "type": "object",
            "properties": ["overall": ["type": "integer", "enum": [1, 2, 3, 4, 5]], "reason": ["type": "string"]],
            "required": ["overall", "reason"],
        ]
        let request = GenerateRequest(
            model: model, prompt: "Learner's writing:\n\(learnerText)", system: Self.system, format: .schema(schema),
            options: ModelOptions(temperature: 0, seed: 7, numPredict: 60))
        let answer = try await client.generateJSON(request, as: Answer.self)
        guard (1...5).contains(answer.overall) else {
            throw OllamaClient.Failure("no overall score from 1 to 5 in the model's answer")
        }
        let reason = (answer.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return Judgement(overall: answer.overall, reason: String(reason.prefix(200)))
    }
}

/// Sentence vectors from the LLM pool's `/api/embed` (for the relevance of learner turns).
public struct OllamaTextEmbedder: TextEmbedder {
    let client: OllamaClient
    let model: String

    public init(baseURLs: [String], model: String = "all-minilm", httpClient: HTTPClient) {
        self.client = OllamaClient(baseURLs: baseURLs, httpClient: httpClient, timeout: .seconds(10))
        self.model = model
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await client.embed(EmbedRequest(model: model, input: .many(texts.map { String($0.suffix(2000)) })))
    }
}

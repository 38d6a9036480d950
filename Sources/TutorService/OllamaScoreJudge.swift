import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import Tutoring

/// The model's judgement of a learner's writing through the scoring pool's `/api/generate`
/// (R-LLM-5's path rule sends it there): a JSON schema `{overall: 1–5, reason}`, temperature 0.
public struct OllamaScoreJudge: ScoreJudge {
    let baseURLs: [String]
    let model: String
    let httpClient: HTTPClient
    let timeout: TimeAmount

    public init(baseURLs: [String], model: String, httpClient: HTTPClient, timeout: TimeAmount = .seconds(30)) {
        self.baseURLs = baseURLs
        self.model = model
        self.httpClient = httpClient
        self.timeout = timeout
    }

    static let system = """
        You are an experienced English teacher rating a learner's writing from 1 to 5: 1 = many errors \
        and very simple words, 3 = understandable with some errors, 5 = fluent and almost error-free. \
        Reply with JSON: the score and one short sentence of reason.
        """

    public func judge(_ learnerText: String) async throws -> Judgement {
        let schema: [String: Any] = [
            "type": "object",
            "properties": ["overall": ["type": "integer", "enum": [1, 2, 3, 4, 5]], "reason": ["type": "string"]],
            "required": ["overall", "reason"],
        ]
        let body: [String: Any] = [
            "model": model, "system": Self.system, "prompt": "Learner's writing:\n\(learnerText)", "stream": false,
            "format": schema, "options": ["temperature": 0, "seed": 7, "num_predict": 60],
        ]
        let answer = try await OllamaJSON.call(
            path: "/api/generate", body: body, field: ["response"], baseURLs: baseURLs, httpClient: httpClient,
            timeout: timeout)
        guard let overall = (answer["overall"] as? NSNumber)?.doubleValue, (1...5).contains(overall) else {
            throw OllamaJSON.Failure(description: "no overall score from 1 to 5 in the model's answer")
        }
        let reason = (answer["reason"] as? String ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        return Judgement(overall: overall, reason: String(reason.prefix(200)))
    }
}

/// Sentence vectors from the LLM pool's `/api/embed` (for the relevance of learner turns).
public struct OllamaTextEmbedder: TextEmbedder {
    let baseURLs: [String]
    let model: String
    let httpClient: HTTPClient

    public init(baseURLs: [String], model: String = "all-minilm", httpClient: HTTPClient) {
        self.baseURLs = baseURLs
        self.model = model
        self.httpClient = httpClient
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let answer = try await OllamaJSON.call(
            path: "/api/embed", body: ["model": model, "input": texts.map { String($0.suffix(2000)) }], field: nil,
            baseURLs: baseURLs, httpClient: httpClient, timeout: .seconds(10))
        guard let vectors = answer["embeddings"] as? [Any], vectors.count == texts.count else {
            throw OllamaJSON.Failure(description: "no embeddings in the answer")
        }
        return try vectors.map { vector in
            guard let numbers = vector as? [Any] else {
                throw OllamaJSON.Failure(description: "an embedding is not a list")
            }
            return try numbers.map { number in
                if let value = number as? Double { return Float(value) }
                if let value = number as? NSNumber { return value.floatValue }
                throw OllamaJSON.Failure(description: "an embedding holds a non-number")
            }
        }
    }
}

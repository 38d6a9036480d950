import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import Tutoring

/// The tutor's language model through the regions' balancers: the rewrite and the advice from the
/// scoring pool (`/api/generate`, R-LLM-5's path rule); JSON schema, temperature 0; the regions
/// take turns, each the other's fallback. Both are off by default (issue 18, `--model-rewrite`).
public struct OllamaTutorModel: TutorModel {
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

    /// A system prompt and one worked example: small models copy a JSON placeholder if shown one,
    /// and answer the sentence instead of correcting it without an example (tried: gemma3:270m).
    static let correctionSystem = """
        You are a careful English proofreader. Rewrite the user's sentence with its grammar and \
        spelling mistakes fixed. Change as few words as possible. Do not answer the sentence, only correct it.
        """

    public func correct(_ text: String) async throws -> String {
        let schema: [String: Any] = [
            "type": "object", "properties": ["corrected": ["type": "string"]], "required": ["corrected"],
        ]
        let words = text.split(separator: " ").count
        // `/api/generate`, not `/api/chat`: the tutor's default model (gemma3:270m) is a base model,
        // which the workers refuse for chat (issue 17); the worked example is part of the prompt.
        let prompt = """
            Sentence: He go to work by bus yesterday.
            Corrected: {"corrected": "He went to work by bus yesterday."}
            Sentence: \(text.replacingOccurrences(of: "\n", with: " "))
            Corrected:
            """
        let answer = try await OllamaJSON.call(
            path: "/api/generate",
            body: [
                "model": model, "system": Self.correctionSystem, "prompt": prompt, "stream": false, "format": schema,
                "options": ["temperature": 0, "seed": 7, "num_predict": min(words * 2 + 24, 256)],
            ], field: ["response"], baseURLs: baseURLs, httpClient: httpClient, timeout: timeout)
        guard let corrected = answer["corrected"] as? String else {
            throw OllamaJSON.Failure(description: "no \"corrected\" in the model's answer")
        }
        return corrected
    }

    public func advise(_ text: String, corrected: String, language: Language) async throws -> Advice {
        let schema: [String: Any] = [
            "type": "object",
            "properties": [
                "better_words": [
                    "type": "array", "maxItems": 3,
                    "items": [
                        "type": "object",
                        "properties": [
                            "original": ["type": "string"], "suggestion": ["type": "string"],
                            "reason": ["type": "string"],
                        ],
                        "required": ["original", "suggestion", "reason"],
                    ],
                ],
                "tips": ["type": "array", "maxItems": 2, "items": ["type": "string"]],
            ],
            "required": ["better_words", "tips"],
        ]
        let tipLanguage = language == .id ? "Indonesian" : "English"
        let system = """
            You are an English teacher. For the learner's text, suggest up to three better or more \
            natural words or phrases that appear in it (original, suggestion, short reason), and one \
            or two short usage tips written in \(tipLanguage). Reply with JSON only.
            """
        let prompt = corrected == text ? "Learner's text: \(text)" : "Learner's text: \(text)\nCorrected: \(corrected)"
        let answer = try await OllamaJSON.call(
            path: "/api/generate",
            body: [
                "model": model, "system": system, "prompt": prompt, "stream": false, "format": schema,
                "options": ["temperature": 0, "seed": 7, "num_predict": 120],
            ], field: ["response"], baseURLs: baseURLs, httpClient: httpClient, timeout: timeout)
        let words = (answer["better_words"] as? [[String: Any]] ?? []).compactMap { item -> Advice.BetterWord? in
            guard let original = item["original"] as? String, let suggestion = item["suggestion"] as? String,
                !original.isEmpty, !suggestion.isEmpty,
                original.lowercased() != suggestion.lowercased(),
                text.lowercased().contains(original.lowercased())  // only words the learner used
            else { return nil }
            return .init(original: original, suggestion: suggestion, reason: item["reason"] as? String ?? "")
        }
        let tips = (answer["tips"] as? [String] ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.prefix(2)
        return Advice(betterWords: Array(words.prefix(3)), tips: Array(tips))
    }
}

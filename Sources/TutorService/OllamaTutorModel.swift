import AsyncHTTPClient
import Foundation
import NIOCore
import OllamaAPI
import OllamaClient
import Tutoring

/// The tutor's language model through the regions' balancers: the rewrite and the advice from the
/// scoring pool (`/api/generate`, R-LLM-5's path rule); JSON schema, temperature 0; the regions
/// take turns, each the other's fallback (`OllamaClient`). Both are off by default (issue 18,
/// `--model-rewrite`).
public struct OllamaTutorModel: TutorModel {
    let client: OllamaClient
    let model: String

    public init(baseURLs: [String], model: String, httpClient: HTTPClient, timeout: TimeAmount = .seconds(30)) {
        self.client = OllamaClient(baseURLs: baseURLs, httpClient: httpClient, timeout: timeout)
        self.model = model
    }

    /// A system prompt and one worked example: small models copy a JSON placeholder if shown one,
    /// and answer the sentence instead of correcting it without an example (tried: gemma3:270m).
    static let correctionSystem = """
        You are a careful English proofreader. Rewrite the user's sentence with its grammar and \
        spelling mistakes fixed. Change as few words as possible. Do not answer the sentence, only correct it.
        """

    public func correct(_ text: String) async throws -> String {
        struct Correction: Decodable { let corrected: String }
        let schema: JSONValue = [
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
        let request = GenerateRequest(
            model: model, prompt: prompt, system: Self.correctionSystem, format: .schema(schema),
            options: ModelOptions(temperature: 0, seed: 7, numPredict: min(words * 2 + 24, 256)))
        return try await client.generateJSON(request, as: Correction.self).corrected
    }

    public func advise(_ text: String, corrected: String, language: Language) async throws -> Advice {
        struct Answer: Decodable {
            struct Word: Decodable {
                let original: String?
                let suggestion: String?
                let reason: String?
            }
            let betterWords: [Word]?
            let tips: [String]?

            enum CodingKeys: String, CodingKey {
                case betterWords = "better_words"
                case tips
            }
        }
        let schema: JSONValue = [
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
        let request = GenerateRequest(
            model: model, prompt: prompt, system: system, format: .schema(schema),
            options: ModelOptions(temperature: 0, seed: 7, numPredict: 120))
        let answer = try await client.generateJSON(request, as: Answer.self)
        let words = (answer.betterWords ?? []).compactMap { item -> Advice.BetterWord? in
            guard let original = item.original, let suggestion = item.suggestion,
                !original.isEmpty, !suggestion.isEmpty,
                original.lowercased() != suggestion.lowercased(),
                text.lowercased().contains(original.lowercased())  // only words the learner used
            else { return nil }
            return .init(original: original, suggestion: suggestion, reason: item.reason ?? "")
        }
        let tips = (answer.tips ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.prefix(2)
        return Advice(betterWords: Array(words.prefix(3)), tips: Array(tips))
    }
}

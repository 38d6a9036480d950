import Foundation
import ModelStore
import OllamaAPI

extension Worker {
    /// The model's chat format (issue 17): template layer, GGUF template, family default, or none.
    func chatFormat(_ model: StoredModel) throws -> ChatFormat {
        try ChatFormat.of(model, header: modelHeader(model))
    }

    /// `/api/show`'s and `/api/tags`' capabilities: `embedding`, or `completion` plus `chat` when
    /// the model has a chat format (a model whose template layer does not parse is not offered).
    func capabilities(of model: StoredModel) -> [String] {
        if isEmbeddingModel(model) { return ["embedding"] }
        let chat = (try? chatFormat(model))?.supportsChat ?? false
        return chat ? ["completion", "chat"] : ["completion"]
    }

    /// The prompt for `messages`: a Go template is rendered here; the GGUF's Jinja template by
    /// llama-server. A model without a chat format (reached only by `/api/generate`: `/api/chat`
    /// refuses it) keeps llama-server's fallback, as the tutor's rewrite and advice use it.
    func chatPrompt(_ messages: [Message], format: ChatFormat, engine: any InferenceEngine) async throws -> String {
        switch format {
        case .layer(let template), .family(let template, _):
            do {
                return try template.render(messages)
            } catch {
                throw WorkerError(.internalServerError, "the model's chat template failed: \(error)")
            }
        case .embedded, .none:
            return try await engine.applyChatTemplate(messages)
        }
    }

    /// The chat prompt for as many of the newest messages as fit the engine's context with room
    /// for the answer, as Ollama truncates a long chat: system messages always stay, then the
    /// newest turns; the oldest others are left out. (A learner's conversation once got a 500 as
    /// soon as it passed 2,048 tokens: the brief's own client replays the whole history each turn.)
    /// The last message stays even when it alone is too long; the engine then answers 400.
    func fittingChatPrompt(
        _ messages: [Message], format: ChatFormat, lease: EngineScheduler.Lease, options: ModelOptions
    ) async throws -> String {
        let context = lease.contextLength
        let reserve = Self.answerReserve(options, context: context)
        var kept = messages
        while true {
            let prompt = try await chatPrompt(kept, format: format, engine: lease.engine)
            // A token is at least one byte (a few special ones aside): a short prompt surely fits.
            if prompt.utf8.count + 16 + reserve <= context { return prompt }
            guard let oldest = kept.indices.first(where: { kept[$0].role != "system" && $0 < kept.count - 1 }),
                try await lease.engine.countTokens(prompt) + reserve > context
            else { return prompt }
            kept.remove(at: oldest)
        }
    }

    /// Tokens kept free for the answer: `num_predict` when set, else 256, at most a quarter of the
    /// context (llama-server stops a generation that fills its context).
    static func answerReserve(_ options: ModelOptions, context: Int) -> Int {
        let predict = options.numPredict ?? -1
        return min(predict > 0 ? predict : 256, context / 4)
    }

    /// A family default's stop words, when neither the request nor the params layer gives any.
    func addingFormatStops(_ options: ModelOptions, _ format: ChatFormat) -> ModelOptions {
        guard options.stop == nil, case .family(_, let stop) = format else { return options }
        var options = options
        options.stop = stop
        return options
    }

    /// With `CAKAP_LOG_PROMPTS=1`, logs the exact prompt sent to the engine as one JSON string
    /// (for debugging templates, and for the test that checks them against Ollama's).
    func logPrompt(_ prompt: String, model: String) {
        guard configuration.logPrompts else { return }
        let json = String(decoding: (try? JSONEncoder().encode([prompt])) ?? Data("[]".utf8), as: UTF8.self)
        logger.info("prompt \(json)", metadata: ["model": "\(model)"])
    }
}

import Foundation
import Hummingbird
import ModelStore
import OllamaAPI

/// `/api/generate` and `/api/chat`, read top to bottom: decode and check the request, take a
/// lease on an engine (`EngineScheduler`), build the prompt that fits its context, run the
/// completion (`LlamaServerEngine`) and stream it; the lease goes back on every path, in the
/// function that took it.
extension Worker {
    /// `POST /api/generate`.
    func generate(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let body = try await decodeBody(GenerateRequest.self, from: request)
        let model = try storedModel(body.model)
        try requireCompletion(model, body.model)
        let frame: FrameMaker = { text, done, reason, statistics in
            GenerateResponse(
                model: body.model, createdAt: Timestamp.rfc3339(Date()), response: text, done: done,
                doneReason: reason, statistics: statistics)
        }
        guard let prompt = body.prompt, !prompt.isEmpty else {
            return try await loadOnly(
                model, options: body.options, keepAlive: body.keepAlive, started: started, frame: frame)
        }
        let templated: String
        let format = try chatFormat(model)
        let options = addingFormatStops(effectiveOptions(body.options, model: model), format)
        let lease = try await acquire(model, options: options)
        do {
            if body.raw == true {
                templated = prompt
            } else {
                var messages: [Message] = []
                if let system = body.system ?? model.system {
                    messages.append(Message(role: "system", content: system))
                }
                messages.append(Message(role: "user", content: prompt))
                templated = try await chatPrompt(messages, format: format, engine: lease.engine)
            }
            logPrompt(templated, model: body.model)
        } catch {
            await scheduler.release(lease, keepAlive: keepAlive(body.keepAlive))
            throw error
        }
        return try await runCompletion(
            CompletionRequest(prompt: templated, options: options, format: body.format), lease: lease, model: model,
            stream: body.stream ?? true, keepAlive: keepAlive(body.keepAlive), started: started, frame: frame,
            tokenFrame: .generate(model: body.model))
    }

    /// `POST /api/chat`.
    func chat(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let body = try await decodeBody(ChatRequest.self, from: request)
        let model = try storedModel(body.model)
        try requireCompletion(model, body.model)
        let format = try chatFormat(model)
        // A base model cannot hold a conversation (issue 17): 400, as Ollama answers for a model
        // without chat support. The tutor asks such models through `/api/generate` instead.
        guard format.supportsChat else {
            throw WorkerError.badRequest("\"\(body.model)\" does not support chat")
        }
        let frame: FrameMaker = { text, done, reason, statistics in
            ChatResponse(
                model: body.model, createdAt: Timestamp.rfc3339(Date()),
                message: Message(role: "assistant", content: text), done: done, doneReason: reason,
                statistics: statistics)
        }
        guard var messages = body.messages, !messages.isEmpty else {
            return try await loadOnly(
                model, options: body.options, keepAlive: body.keepAlive, started: started, frame: frame)
        }
        for (index, message) in messages.enumerated()
        where !["system", "user", "assistant", "tool"].contains(message.role) {
            throw WorkerError.badRequest("messages[\(index)].role must be system, user, assistant or tool")
        }
        if let system = model.system, messages.first?.role != "system" {
            messages.insert(Message(role: "system", content: system), at: 0)
        }
        let options = addingFormatStops(effectiveOptions(body.options, model: model), format)
        let lease = try await acquire(model, options: options)
        let prompt: String
        do {
            prompt = try await fittingChatPrompt(messages, format: format, lease: lease, options: options)
            logPrompt(prompt, model: body.model)
        } catch {
            await scheduler.release(lease, keepAlive: keepAlive(body.keepAlive))
            throw error
        }
        return try await runCompletion(
            CompletionRequest(prompt: prompt, options: options, format: body.format), lease: lease, model: model,
            stream: body.stream ?? true, keepAlive: keepAlive(body.keepAlive), started: started, frame: frame,
            tokenFrame: .chat(model: body.model))
    }

    typealias FrameMaker = @Sendable (String, Bool, String?, GenerationStatistics?) -> any Encodable & Sendable

    func requireCompletion(_ model: StoredModel, _ name: String) throws {
        if isEmbeddingModel(model) { throw WorkerError.badRequest("\"\(name)\" does not support generate") }
    }

    /// A slot on the engine for `model` at the context length `options` ask for.
    func acquire(_ model: StoredModel, options: ModelOptions?) async throws -> EngineScheduler.Lease {
        let embedding = isEmbeddingModel(model)
        let contextLength = try engineContextLength(options, model: model, embedding: embedding)
        let handle = ModelHandle(path: model.modelPath, displayName: model.name.displayName, isEmbedding: embedding)
        do {
            let lease = try await scheduler.acquire(handle, contextLength: contextLength)
            if lease.loadDuration > .zero { metrics.recordLoad(lease.loadDuration) }
            return lease
        } catch let error as EngineError {
            throw error.workerError
        }
    }

    /// The model's chat format (issue 17): template layer, GGUF template, family default, or none.
    func chatFormat(_ model: StoredModel) throws -> ChatFormat {
        try ChatFormat.of(model, header: modelHeader(model))
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

    /// An empty prompt only loads the model (or unloads it with `keep_alive: 0`), as in Ollama.
    private func loadOnly(
        _ model: StoredModel, options: ModelOptions?, keepAlive requested: KeepAlive?, started: ContinuousClock.Instant,
        frame: FrameMaker
    ) async throws -> Response {
        let keepAlive = keepAlive(requested)
        if keepAlive == .zero {
            await scheduler.unload(modelPath: model.modelPath)
            return try jsonResponse(AnyEncodable(frame("", true, "unload", nil)))
        }
        let lease = try await acquire(model, options: options)
        await scheduler.release(lease, keepAlive: keepAlive)
        return try jsonResponse(AnyEncodable(frame("", true, "load", nil)))
    }

    /// Starts the completion before answering, so that an engine failure is still a status code;
    /// after the first byte an error is one final `{"error": ...}` line (STYLE.md §5).
    private func runCompletion(
        _ completion: CompletionRequest, lease: EngineScheduler.Lease, model: StoredModel, stream: Bool,
        keepAlive: Duration?, started: ContinuousClock.Instant, frame: @escaping FrameMaker, tokenFrame: StreamFrame
    ) async throws -> Response {
        let events: AsyncThrowingStream<CompletionEvent, any Error>
        do {
            events = try await lease.engine.complete(completion)
        } catch {
            await scheduler.release(lease, keepAlive: keepAlive)
            throw (error as? EngineError)?.workerError ?? WorkerError(.internalServerError, "\(error)")
        }
        let scheduler = self.scheduler
        let metrics = self.metrics
        let modelName = model.name.displayName
        let statistics: @Sendable (CompletionSummary) -> GenerationStatistics = { summary in
            GenerationStatistics(
                totalDuration: (ContinuousClock.now - started).nanoseconds,
                loadDuration: lease.loadDuration.nanoseconds,
                promptEvalCount: summary.promptTokens, promptEvalDuration: summary.promptDuration.nanoseconds,
                evalCount: summary.generatedTokens, evalDuration: summary.generationDuration.nanoseconds)
        }
        guard stream else {
            do {
                let (text, summary) = try await Self.collect(events) {
                    metrics.recordTokens($0.generatedTokens, model: modelName)
                }
                await scheduler.release(lease, keepAlive: keepAlive)
                return try jsonResponse(AnyEncodable(frame(text, true, summary.reason, statistics(summary))))
            } catch {
                await scheduler.release(lease, keepAlive: keepAlive)
                throw (error as? EngineError)?.workerError ?? error
            }
        }
        return ndjsonResponse { writer in
            do {
                for try await event in events {
                    switch event {
                    case .token(let piece):
                        let line = tokenFrame.line(piece: piece, timestamp: Timestamp.rfc3339(Date()))
                        try await writer.write(ByteBuffer(bytes: line))
                    case .done(let summary):
                        metrics.recordTokens(summary.generatedTokens, model: modelName)
                        try await writer.write(
                            ndjsonLine(AnyEncodable(frame("", true, summary.reason, statistics(summary)))))
                    }
                }
            } catch let error as EngineError {
                try? await writer.write(ndjsonLine(ErrorResponse(error: error.description)))
            } catch is CancellationError {
                // The client went away: nobody to tell.
            } catch {
                // A write failed (the client went away) or the engine's connection broke: try to say so.
                try? await writer.write(ndjsonLine(ErrorResponse(error: "generation failed: \(error)")))
            }
            // The lease goes back here, on every path, before the response ends.
            await scheduler.release(lease, keepAlive: keepAlive)
        }
    }

    /// A whole completion's text and summary (a non-streamed answer).
    private static func collect(
        _ events: AsyncThrowingStream<CompletionEvent, any Error>, onDone: (CompletionSummary) -> Void
    ) async throws -> (text: String, summary: CompletionSummary) {
        var text = ""
        for try await event in events {
            switch event {
            case .token(let piece): text += piece
            case .done(let summary):
                onDone(summary)
                return (text, summary)
            }
        }
        throw WorkerError(.internalServerError, "generation ended without a result")
    }
}

/// Type-erases an encodable frame for the encoder.
struct AnyEncodable: Encodable, Sendable {
    let value: any Encodable & Sendable

    init(_ value: any Encodable & Sendable) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}

extension Duration {
    /// Whole nanoseconds, as Ollama's statistics count them.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

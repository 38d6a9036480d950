import Foundation
import Hummingbird
import ModelStore
import OllamaAPI

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
            let rejected = (error as? EngineError)?.isRejection == true
            throw WorkerError(rejected ? .badRequest : .internalServerError, "\(error)")
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
            defer { Task { await scheduler.release(lease, keepAlive: keepAlive) } }
            var text = ""
            for try await event in events {
                switch event {
                case .token(let piece): text += piece
                case .done(let summary):
                    metrics.recordTokens(summary.generatedTokens, model: modelName)
                    return try jsonResponse(AnyEncodable(frame(text, true, summary.reason, statistics(summary))))
                }
            }
            throw WorkerError(.internalServerError, "generation ended without a result")
        }
        return ndjsonResponse { writer in
            defer { Task { await scheduler.release(lease, keepAlive: keepAlive) } }
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
                try await writer.write(ndjsonLine(ErrorResponse(error: error.description)))
            } catch is CancellationError {
                return
            } catch {
                // The client went away (write failed) or the engine's connection broke: try to say so.
                try? await writer.write(ndjsonLine(ErrorResponse(error: "generation failed: \(error)")))
            }
        }
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

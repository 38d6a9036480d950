import Foundation
import Hummingbird
import ModelStore
import OllamaAPI

extension Worker {
    /// `POST /api/embed`: L2-normalised vectors, one per input.
    func embed(_ request: Request) async throws -> Response {
        let started = ContinuousClock.now
        let body = try await decodeBody(EmbedRequest.self, from: request)
        let model = try storedModel(body.model)
        let texts = body.input?.texts ?? []
        let (result, loadDuration) = try await embedTexts(
            texts, model: model, name: body.model, normalize: true, body.options, body.keepAlive)
        return try jsonResponse(
            EmbedResponse(
                model: body.model, embeddings: result.vectors,
                totalDuration: (ContinuousClock.now - started).nanoseconds,
                loadDuration: loadDuration.nanoseconds, promptEvalCount: result.promptTokens))
    }

    /// `POST /api/embeddings` (legacy): one vector, not normalised.
    func legacyEmbeddings(_ request: Request) async throws -> Response {
        let body = try await decodeBody(EmbeddingsRequest.self, from: request)
        let model = try storedModel(body.model)
        let texts = (body.prompt ?? "").isEmpty ? [] : [body.prompt ?? ""]
        let (result, _) = try await embedTexts(
            texts, model: model, name: body.model, normalize: false, body.options, body.keepAlive)
        return try jsonResponse(EmbeddingResponse(embedding: result.vectors.first ?? []))
    }

    /// No texts only loads the model, as in Ollama.
    private func embedTexts(
        _ texts: [String], model: StoredModel, name: String, normalize: Bool, _ options: ModelOptions?,
        _ keepAlive: KeepAlive?
    ) async throws -> (EmbeddingResult, Duration) {
        guard isEmbeddingModel(model) else {
            throw WorkerError.badRequest("\"\(name)\" does not support embeddings")
        }
        if texts.contains(where: \.isEmpty) { throw WorkerError.badRequest("input must not contain empty strings") }
        let lease = try await acquire(model, options: options)
        do {
            let result =
                texts.isEmpty
                ? EmbeddingResult(vectors: [], promptTokens: 0)
                : try await lease.engine.embed(texts, normalize: normalize)
            await scheduler.release(lease, keepAlive: self.keepAlive(keepAlive))
            return (result, lease.loadDuration)
        } catch let error as EngineError {
            await scheduler.release(lease, keepAlive: self.keepAlive(keepAlive))
            // llama-server refuses inputs longer than the context; that is the client's input.
            let tooLong = error.description.contains("too large") || error.description.contains("context")
            throw tooLong ? WorkerError.badRequest(error.description) : error.workerError
        } catch {
            await scheduler.release(lease, keepAlive: self.keepAlive(keepAlive))
            throw error
        }
    }
}

import AsyncHTTPClient
import Conversations
import Foundation
import NIOCore
import OllamaAPI
import OllamaClient

/// Embeddings from the LLM pool's `POST /api/embed` (the Ollama API our workers serve), through
/// `OllamaClient`'s failover over the base URLs (locally: both regions' balancers).
public struct HTTPEmbedder: Embedder {
    public let model: String
    let client: OllamaClient

    public init(model: String, baseURLs: [String], httpClient: HTTPClient, timeout: TimeAmount = .seconds(20)) {
        self.model = model
        self.client = OllamaClient(baseURLs: baseURLs, httpClient: httpClient, timeout: timeout)
    }

    public func embed(_ text: String) async throws -> [Float] {
        let vectors = try await client.embed(EmbedRequest(model: model, input: .one(text), truncate: true))
        guard let vector = vectors.first else { throw OllamaClient.Failure("no embedding in the answer") }
        return vector
    }
}

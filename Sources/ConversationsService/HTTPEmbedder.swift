import AsyncHTTPClient
import Conversations
import Foundation
import NIOCore

/// Embeddings from the LLM pool's `POST /api/embed` (the Ollama API our workers serve), trying
/// each base URL in order (locally: both regions' balancers).
public struct HTTPEmbedder: Embedder {
    public let model: String
    let baseURLs: [String]
    let httpClient: HTTPClient
    let timeout: TimeAmount

    public init(model: String, baseURLs: [String], httpClient: HTTPClient, timeout: TimeAmount = .seconds(20)) {
        self.model = model
        self.baseURLs = baseURLs
        self.httpClient = httpClient
        self.timeout = timeout
    }

    struct EmbedBody: Encodable {
        let model: String
        let input: String
        let truncate: Bool
    }

    struct EmbedAnswer: Decodable {
        let embeddings: [[Float]]
    }

    /// Why no vector came back.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public func embed(_ text: String) async throws -> [Float] {
        var failures: [String] = []
        for base in baseURLs {
            do {
                var request = HTTPClientRequest(url: base + "/api/embed")
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(try JSONEncoder().encode(EmbedBody(model: model, input: text, truncate: true)))
                let response = try await httpClient.execute(request, timeout: timeout)
                let body = try await response.body.collect(upTo: 1 << 22)
                guard response.status == .ok else {
                    failures.append("\(base): HTTP \(response.status.code)")
                    continue
                }
                guard let vector = try JSONDecoder().decode(EmbedAnswer.self, from: body).embeddings.first else {
                    failures.append("\(base): no embedding in the answer")
                    continue
                }
                return vector
            } catch {
                failures.append("\(base): \(error)")
            }
        }
        throw Failure(description: failures.isEmpty ? "no embedding URL configured" : failures.joined(separator: "; "))
    }
}

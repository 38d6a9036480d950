import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import OllamaAPI
import Synchronization

/// Non-streamed calls to Ollama's API (our workers, through the regions' balancers), typed with
/// the `OllamaAPI` wire types: the one client of the tutor, the conversations API's embedder and
/// `cakap up`'s warm-up. One failover policy for all of them: each call starts at the next base
/// URL in turn, so the URLs share the load, and goes on to the next when one fails (no
/// connection, a timeout, a status other than 200, an answer that does not decode); it fails only
/// when every URL did, naming each URL's reason.
public struct OllamaClient: Sendable {
    public let baseURLs: [String]
    let httpClient: HTTPClient
    /// How long one URL may take to answer.
    public let timeout: TimeAmount
    private let turn = Turn()

    /// Why a call failed at every URL.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// The HTTP status of each URL that answered, in the order tried.
        public var statuses: [Int] = []

        public init(_ description: String, statuses: [Int] = []) {
            self.description = description
            self.statuses = statuses
        }
    }

    public init(baseURLs: [String], httpClient: HTTPClient, timeout: TimeAmount = .seconds(30)) {
        self.baseURLs = baseURLs
        self.httpClient = httpClient
        self.timeout = timeout
    }

    /// `POST /api/generate`, not streamed: the whole answer.
    public func generate(_ request: GenerateRequest) async throws -> GenerateResponse {
        var request = request
        request.stream = false
        return try await post("/api/generate", request)
    }

    /// `POST /api/generate` with a JSON `format`: the answer's text decoded as `Answer`.
    /// - Throws: `Failure` when the model's text is not that JSON (another URL would not help).
    public func generateJSON<Answer: Decodable>(_ request: GenerateRequest, as: Answer.Type) async throws -> Answer {
        let answer = try await generate(request)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(answer.response.utf8))
        } catch {
            throw Failure("the model's answer is not the JSON asked for: \(answer.response.prefix(200))")
        }
    }

    /// `POST /api/embed`: one vector per input, in input order.
    public func embed(_ request: EmbedRequest) async throws -> [[Float]] {
        let answer: EmbedResponse = try await post("/api/embed", request)
        let expected = request.input?.texts.count ?? 0
        guard answer.embeddings.count == expected else {
            throw Failure("\(answer.embeddings.count) embeddings in the answer for \(expected) inputs")
        }
        return answer.embeddings
    }

    /// Loads `model` and keeps it loaded (`keep_alive: -1`), without generating.
    public func load(_ model: String, embedding: Bool) async throws {
        let forever = KeepAlive(duration: nil)
        if embedding {
            let _: EmbedResponse = try await post("/api/embed", EmbedRequest(model: model, keepAlive: forever))
        } else {
            _ = try await generate(GenerateRequest(model: model, keepAlive: forever))
        }
    }

    /// The one failover loop.
    func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body) async throws -> Answer {
        guard !baseURLs.isEmpty else { throw Failure("no model URL configured") }
        let bytes = try JSONEncoder().encode(body)
        let start = turn.next() % baseURLs.count
        var failures: [String] = []
        var statuses: [Int] = []
        for base in baseURLs[start...] + baseURLs[..<start] {
            do {
                var request = HTTPClientRequest(url: base + path)
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: bytes))
                let response = try await httpClient.execute(request, timeout: timeout)
                let data = try await response.body.collect(upTo: 1 << 24)
                statuses.append(Int(response.status.code))
                guard response.status == .ok else {
                    let reason =
                        (try? JSONDecoder().decode(ErrorResponse.self, from: data)).map { ": \($0.error)" } ?? ""
                    failures.append("\(base): HTTP \(response.status.code)\(reason)")
                    continue
                }
                return try JSONDecoder().decode(Answer.self, from: data)
            } catch {
                failures.append("\(base): \(error)")
            }
        }
        throw Failure(failures.joined(separator: "; "), statuses: statuses)
    }
}

/// Which base URL the next call starts with.
private final class Turn: Sendable {
    private let counter = Atomic<Int>(0)

    func next() -> Int {
        counter.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
    }
}

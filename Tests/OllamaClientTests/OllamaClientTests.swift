import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import OllamaAPI
import OllamaClient
import Synchronization
import Testing

/// The one Ollama client's failover policy (its type's documentation): calls rotate over the base
/// URLs, a URL that fails (no connection, a non-200 status, an answer that does not decode) passes
/// the call to the next, and a call fails only when every URL did, naming each reason.
@Suite struct OllamaClientTests {
    /// A stand-in Ollama that answers `generate` and `embed` with `reply` and counts its calls.
    final class FakeOllama: Sendable {
        let name: String
        let status: HTTPResponse.Status
        let generated: String
        let vectors: Int
        private let calls = Atomic<Int>(0)
        var callCount: Int { calls.load(ordering: .relaxed) }

        init(name: String, status: HTTPResponse.Status = .ok, generated: String = "hello", vectors: Int = 1) {
            self.name = name
            self.status = status
            self.generated = generated
            self.vectors = vectors
        }

        func json(_ object: [String: Any]) -> Response {
            let data = try! JSONSerialization.data(withJSONObject: object)
            return Response(
                status: status, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }

        var application: some ApplicationProtocol {
            let router = Router()
            router.post("/api/generate") { _, _ in
                self.calls.wrappingAdd(1, ordering: .relaxed)
                if self.status != .ok { return self.json(["error": "\(self.name) is unwell"]) }
                return self.json([
                    "model": "m", "created_at": "2026-12-05T00:00:00Z", "response": self.generated,
                    "done": true,
                ])
            }
            router.post("/api/embed") { _, _ in
                self.calls.wrappingAdd(1, ordering: .relaxed)
                return self.json([
                    "model": "m", "embeddings": Array(repeating: [0.6, 0.8], count: self.vectors),
                    "total_duration": 1, "load_duration": 0, "prompt_eval_count": 2,
                ])
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }
    }

    /// Runs `body` with a client over live servers for `fakes` (after `extraURLs`).
    func withClient(
        _ fakes: [FakeOllama], extraURLs: [String] = [], _ body: @escaping @Sendable (OllamaClient) async throws -> Void
    ) async throws {
        try await serve(fakes[...], urls: extraURLs, body)
    }

    /// Starts the first fake, then the rest inside it; the client is made when all are up.
    func serve(
        _ fakes: ArraySlice<FakeOllama>, urls: [String], _ body: @escaping @Sendable (OllamaClient) async throws -> Void
    ) async throws {
        guard let first = fakes.first else {
            // As the services configure theirs (HTTPForwarder.clientConfiguration, 2 s): a refused
            // connection is retried until the connect timeout, so that bounds each failover.
            let http = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(timeout: .init(connect: .milliseconds(300))))
            let result: Result<Void, any Error>
            do {
                try await body(OllamaClient(baseURLs: urls, httpClient: http, timeout: .seconds(5)))
                result = .success(())
            } catch {
                result = .failure(error)
            }
            try await http.shutdown()
            return try result.get()
        }
        let rest = fakes.dropFirst()
        try await first.application.test(.live) { testClient in
            let port = try #require(testClient.port)
            try await serve(rest, urls: urls + ["http://127.0.0.1:\(port)"], body)
        }
    }

    /// A port nothing listens on: a refused connection.
    static let closedURL = "http://127.0.0.1:1"

    @Test func callsTakeTurnsOverTheURLs() async throws {
        let first = FakeOllama(name: "first")
        let second = FakeOllama(name: "second")
        try await withClient([first, second]) { client in
            for _ in 0..<6 { _ = try await client.generate(GenerateRequest(model: "m", prompt: "hi")) }
        }
        #expect(first.callCount == 3)
        #expect(second.callCount == 3)
    }

    @Test func aRefusedConnectionPassesTheCallToTheNextURL() async throws {
        let up = FakeOllama(name: "up", generated: "from the live one")
        try await withClient([up], extraURLs: [Self.closedURL]) { client in
            for _ in 0..<4 {
                let answer = try await client.generate(GenerateRequest(model: "m", prompt: "hi"))
                #expect(answer.response == "from the live one")
            }
        }
        #expect(up.callCount == 4)
    }

    @Test func anErrorStatusPassesTheCallToTheNextURL() async throws {
        let unwell = FakeOllama(name: "unwell", status: .serviceUnavailable)
        let well = FakeOllama(name: "well", generated: "fine")
        try await withClient([unwell, well]) { client in
            for _ in 0..<4 {
                let answer = try await client.generate(GenerateRequest(model: "m", prompt: "hi"))
                #expect(answer.response == "fine")
            }
        }
        #expect(well.callCount == 4)
        #expect(unwell.callCount == 2)
    }

    @Test func whenEveryURLFailsTheErrorNamesEachReasonAndStatus() async throws {
        let unwell = FakeOllama(name: "unwell", status: .serviceUnavailable)
        try await withClient([unwell], extraURLs: [Self.closedURL]) { client in
            let failure = await #expect(throws: OllamaClient.Failure.self) {
                _ = try await client.generate(GenerateRequest(model: "m", prompt: "hi"))
            }
            #expect(failure?.statuses == [503])
            #expect(failure?.description.contains("HTTP 503: unwell is unwell") == true)
            #expect(failure?.description.contains(Self.closedURL) == true)
        }
    }

    @Test func noURLIsAClearFailureNotACrash() async throws {
        try await withClient([]) { client in
            let failure = await #expect(throws: OllamaClient.Failure.self) {
                _ = try await client.generate(GenerateRequest(model: "m", prompt: "hi"))
            }
            #expect(failure?.description == "no model URL configured")
        }
    }

    @Test func anEmbedAnswerWithTheWrongNumberOfVectorsIsRefused() async throws {
        let short = FakeOllama(name: "short", vectors: 1)
        try await withClient([short]) { client in
            let vectors = try await client.embed(EmbedRequest(model: "m", input: .one("one")))
            #expect(vectors == [[0.6, 0.8]])
            let failure = await #expect(throws: OllamaClient.Failure.self) {
                _ = try await client.embed(EmbedRequest(model: "m", input: .many(["one", "two"])))
            }
            #expect(failure?.description == "1 embeddings in the answer for 2 inputs")
        }
    }

    @Test func aModelAnswerThatIsNotTheAskedJSONIsAFailure() async throws {
        struct Advice: Decodable { var tip: String }
        let chatty = FakeOllama(name: "chatty", generated: "Sure! Here is a tip.")
        let precise = FakeOllama(name: "precise", generated: #"{"tip":"say 'went'"}"#)
        try await withClient([precise]) { client in
            let advice = try await client.generateJSON(GenerateRequest(model: "m"), as: Advice.self)
            #expect(advice.tip == "say 'went'")
        }
        try await withClient([chatty]) { client in
            let failure = await #expect(throws: OllamaClient.Failure.self) {
                _ = try await client.generateJSON(GenerateRequest(model: "m"), as: Advice.self)
            }
            #expect(failure?.description.contains("Sure! Here is a tip.") == true)
        }
    }
}

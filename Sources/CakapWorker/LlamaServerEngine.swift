import AsyncHTTPClient
import ChildProcess
import Foundation
import NIOCore
import NIOFoundationCompat
import OllamaAPI

/// One `llama-server` child process, spoken to over loopback HTTP.
///
/// Completions use llama-server's native `/completion` stream (server-sent events) so that one
/// parser serves `/api/generate` and `/api/chat`; chat prompts are built by `/apply-template` with
/// the template inside the GGUF file.
final class LlamaServerEngine: RunningEngine, @unchecked Sendable {
    let process: ChildProcess
    let baseURL: String
    let logPath: String
    let httpClient: HTTPClient

    init(process: ChildProcess, baseURL: String, logPath: String, httpClient: HTTPClient) {
        self.process = process
        self.baseURL = baseURL
        self.logPath = logPath
        self.httpClient = httpClient
    }

    var identity: String { "pid \(process.pid)" }

    var hasExited: Bool { process.hasEnded }

    func waitUntilReady(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.exitStatus {
                throw EngineError.failedToStart("exited with status \(status): \(logTail())")
            }
            var request = HTTPClientRequest(url: baseURL + "/health")
            request.method = .GET
            request.headers.add(name: "Connection", value: "close")
            if let response = try? await httpClient.execute(request, timeout: .seconds(2)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EngineError.failedToStart("not ready after \(timeout)")
    }

    func stop(gracePeriod: Duration) async {
        await process.stop(gracePeriod: gracePeriod)
    }

    func waitForExit() async {
        await process.wait()
    }

    func logTail() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    // MARK: - Requests

    func applyChatTemplate(_ messages: [Message]) async throws -> String {
        let body: JSONValue = .object([
            "messages": .array(messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) })
        ])
        let response: TemplateResponse = try await post("/apply-template", body)
        return response.prompt
    }

    func embed(_ texts: [String], normalize: Bool) async throws -> EmbeddingResult {
        let body: JSONValue = .object([
            "input": .array(texts.map(JSONValue.string)), "encoding_format": .string("float"),
            "embd_normalize": .number(normalize ? 2 : -1),
        ])
        let response: OpenAIEmbeddings = try await post("/v1/embeddings", body)
        let vectors = response.data.sorted { $0.index < $1.index }.map(\.embedding)
        return EmbeddingResult(vectors: vectors, promptTokens: response.usage?.promptTokens ?? 0)
    }

    func countTokens(_ text: String) async throws -> Int {
        struct Tokens: Decodable { var tokens: [Int] }
        let response: Tokens = try await post(
            "/tokenize", .object(["content": .string(text), "add_special": .bool(true)]))
        return response.tokens.count
    }

    func complete(_ request: CompletionRequest) async throws -> AsyncThrowingStream<CompletionEvent, any Error> {
        var httpRequest = HTTPClientRequest(url: baseURL + "/completion")
        httpRequest.method = .POST
        httpRequest.headers.add(name: "Content-Type", value: "application/json")
        // A fresh loopback connection per request: a pooled one may have been closed by
        // llama-server just as we reuse it (seen as `remoteConnectionClosed` under concurrency).
        httpRequest.headers.add(name: "Connection", value: "close")
        httpRequest.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(Self.completionBody(request))))
        let response = try await httpClient.execute(httpRequest, timeout: .hours(24))
        guard response.status == .ok else {
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let reason = "llama-server answered \(response.status.code): \(Self.errorMessage(text))"
            // A 400 is about the request (e.g. a prompt longer than the context): the client's to fix.
            throw response.status == .badRequest ? EngineError.rejected(reason) : EngineError.failed(reason)
        }
        // Unfolded in the consumer's own task: each token goes from the socket to the HTTP
        // writer without a producer task in between, one thread wake-up fewer per token (on two
        // cores the engine's own threads feel every extra one: docs/benchmarks.md, section 1).
        // Dropping the stream drops the response body's iterator, which cancels the request.
        let reader = CompletionStreamReader(
            body: response.body.makeAsyncIterator(), logTail: { [self] in self.logTail() })
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    private func post<Response: Decodable>(_ path: String, _ body: JSONValue) async throws -> Response {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Connection", value: "close")
        request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        let response = try await httpClient.execute(request, timeout: .minutes(10))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        guard response.status == .ok else {
            let reason = "llama-server answered \(response.status.code): \(Self.errorMessage(String(buffer: bytes)))"
            throw response.status == .badRequest ? EngineError.rejected(reason) : EngineError.failed(reason)
        }
        return try JSONDecoder().decode(Response.self, from: Data(buffer: bytes))
    }

    static func errorMessage(_ text: String) -> String {
        if let data = text.data(using: .utf8),
            let wrapper = try? JSONDecoder().decode(ErrorWrapper.self, from: data), let message = wrapper.error.message
        {
            return message
        }
        return String(text.prefix(300))
    }

    /// llama-server's `/completion` body for our request.
    static func completionBody(_ request: CompletionRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "prompt": .string(request.prompt), "stream": .bool(true), "cache_prompt": .bool(true),
        ]
        let options = request.options
        let numbers: [(String, Double?)] = [
            ("temperature", options.temperature), ("top_p", options.topP), ("top_k", options.topK.map(Double.init)),
            ("seed", options.seed.map(Double.init)), ("n_predict", options.numPredict.map(Double.init)),
            ("repeat_penalty", options.repeatPenalty), ("min_p", options.minP),
            ("repeat_last_n", options.repeatLastN.map(Double.init)), ("presence_penalty", options.presencePenalty),
            ("frequency_penalty", options.frequencyPenalty),
        ]
        for case (let key, let value?) in numbers { body[key] = .number(value) }
        if let stop = options.stop, !stop.isEmpty { body["stop"] = .array(stop.map(JSONValue.string)) }
        switch request.format {
        case .json?: body["json_schema"] = .object(["type": .string("object")])
        case .schema(let schema)?: body["json_schema"] = schema
        case nil: break
        }
        return .object(body)
    }
}

/// Reads llama-server's SSE completion stream event by event. Used only by its one consumer's
/// sequential `next()` calls (an unfolding stream), hence the unchecked sendability.
final class CompletionStreamReader: @unchecked Sendable {
    private var body: HTTPClientResponse.Body.AsyncIterator
    private var parser = ServerSentEventParser()
    private let decoder = JSONDecoder()  // one per stream, not one per token
    private var ready: [CompletionEvent] = []
    private var finished = false
    private var ended = false
    private let logTail: @Sendable () -> String

    init(body: HTTPClientResponse.Body.AsyncIterator, logTail: @escaping @Sendable () -> String) {
        self.body = body
        self.logTail = logTail
    }

    func next() async throws -> CompletionEvent? {
        while ready.isEmpty {
            if ended { return nil }
            guard let buffer = try await body.next() else {
                ended = true
                guard finished else { throw EngineError.failed("llama-server ended the stream early (\(logTail()))") }
                return nil
            }
            for event in parser.feed(buffer) {
                guard let chunk = try? decoder.decode(CompletionChunk.self, from: Data(event.utf8)) else { continue }
                if let error = chunk.error {
                    ended = true
                    throw EngineError.failed(error.message ?? "llama-server reported an error")
                }
                if let content = chunk.content, !content.isEmpty { ready.append(.token(content)) }
                if chunk.stop == true {
                    ready.append(.done(chunk.summary))
                    finished = true
                }
            }
        }
        return ready.removeFirst()
    }
}

/// Splits a server-sent-event byte stream into `data:` payloads.
///
/// Lines are cut on bytes and decoded only when whole: a read may end inside a multi-byte UTF-8
/// character (an emoji, an accented letter), and decoding each read on its own would turn both
/// halves into U+FFFD.
struct ServerSentEventParser {
    private var pending: [UInt8] = []

    mutating func feed(_ buffer: ByteBuffer) -> [String] {
        pending.append(contentsOf: buffer.readableBytesView)
        var events: [String] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[start..<newline], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            start = newline + 1
            if line.hasPrefix("data:") {
                events.append(String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces))
            } else if line.hasPrefix("error:") {
                events.append("{\"error\":" + String(line.dropFirst(6)) + "}")
            }
        }
        pending.removeFirst(start)
        return events
    }
}

struct TemplateResponse: Decodable {
    var prompt: String
}

struct OpenAIEmbeddings: Decodable {
    struct Item: Decodable {
        var index: Int
        var embedding: [Float]
    }
    struct Usage: Decodable {
        var promptTokens: Int?
        enum CodingKeys: String, CodingKey { case promptTokens = "prompt_tokens" }
    }
    var data: [Item]
    var usage: Usage?
}

struct ErrorWrapper: Decodable {
    struct Detail: Decodable {
        var message: String?
    }
    var error: Detail
}

/// One `data:` object of llama-server's completion stream.
struct CompletionChunk: Decodable {
    struct Timings: Decodable {
        var promptN: Int?
        var promptMs: Double?
        var predictedN: Int?
        var predictedMs: Double?
        enum CodingKeys: String, CodingKey {
            case promptN = "prompt_n"
            case promptMs = "prompt_ms"
            case predictedN = "predicted_n"
            case predictedMs = "predicted_ms"
        }
    }
    var content: String?
    var stop: Bool?
    var stopType: String?
    var tokensEvaluated: Int?
    var tokensPredicted: Int?
    var timings: Timings?
    var error: ErrorWrapper.Detail?

    enum CodingKeys: String, CodingKey {
        case content, stop, timings, error
        case stopType = "stop_type"
        case tokensEvaluated = "tokens_evaluated"
        case tokensPredicted = "tokens_predicted"
    }

    var summary: CompletionSummary {
        CompletionSummary(
            promptTokens: tokensEvaluated ?? timings?.promptN ?? 0,
            promptDuration: .milliseconds(timings?.promptMs ?? 0),
            generatedTokens: timings?.predictedN ?? tokensPredicted ?? 0,
            generationDuration: .milliseconds(timings?.predictedMs ?? 0),
            reason: stopType == "limit" ? "length" : "stop")
    }
}

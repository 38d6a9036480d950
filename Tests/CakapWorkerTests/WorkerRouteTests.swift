import CakapWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The worker's Ollama API over a fake engine (R-LLM-4, R-LLM-6). The same API against a real
/// llama-server and the official client is in tests/integration.
@Suite struct WorkerRouteTests {
    @Test func rootAnswersLikeOllama() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "Ollama is running")
            }
            try await client.execute(uri: "/", method: .head) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/version", method: .get) { response in
                #expect(jsonObject(response.body)["version"] as? String == "0.6.3")
            }
        }
    }

    @Test func tagsListTheStore() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(uri: "/api/tags", method: .get) { response in
                let models = jsonObject(response.body)["models"] as? [[String: Any]] ?? []
                #expect(Set(models.compactMap { $0["name"] as? String }) == ["tiny:latest", "tiny-embed:latest"])
                let details = models.first { $0["name"] as? String == "tiny:latest" }?["details"] as? [String: Any]
                #expect(details?["family"] as? String == "llama")
                #expect(details?["format"] as? String == "gguf")
            }
        }
    }

    @Test func unknownModelIsOllamasNotFound() async throws {
        try await WorkerFixture().test { client in
            for route in ["/api/chat", "/api/generate", "/api/embed", "/api/show"] {
                try await client.execute(
                    uri: route, method: .post, body: .json(#"{"model":"nope","messages":[],"prompt":"x"}"#)
                ) { response in
                    #expect(response.status == .notFound)
                    #expect(jsonObject(response.body)["error"] as? String == "model 'nope' not found")
                }
            }
        }
    }

    @Test func badInputIsA400WithAMessage() async throws {
        try await WorkerFixture().test { client in
            let cases: [(String, String, String)] = [
                ("/api/chat", "{not json", "invalid JSON in request body"),
                ("/api/chat", "", "missing request body"),
                ("/api/chat", #"{"messages":[]}"#, "model is required"),
                ("/api/generate", #"{"model":""}"#, "model is required"),
                (
                    "/api/chat", #"{"model":"tiny","messages":[{"role":"robot","content":"hi"}]}"#,
                    "messages[0].role must be system, user, assistant or tool"
                ),
                (
                    "/api/chat", #"{"model":"tiny","options":{"temperature":"hot"}}"#,
                    "invalid value for options.temperature"
                ),
                (
                    "/api/generate", #"{"model":"tiny","prompt":"x","keep_alive":"soon"}"#,
                    "invalid value for keep_alive"
                ),
                (
                    "/api/generate", #"{"model":"../../etc/passwd","prompt":"x"}"#,
                    "invalid model name '../../etc/passwd'"
                ),
                ("/api/embed", #"{"model":"tiny","input":"x"}"#, "\"tiny\" does not support embeddings"),
                ("/api/generate", #"{"model":"tiny-embed","prompt":"x"}"#, "\"tiny-embed\" does not support generate"),
            ]
            for (route, body, message) in cases {
                try await client.execute(uri: route, method: .post, body: .json(body)) { response in
                    #expect(response.status == .badRequest, "\(route) \(body)")
                    let error = jsonObject(response.body)["error"] as? String ?? ""
                    #expect(error.hasPrefix(message), "\(route) \(body): \(error)")
                }
            }
        }
    }

    @Test func oversizedBodyIsRefused() async throws {
        var fixture = try WorkerFixture()
        fixture.configuration.maxBodyBytes = 2048
        try await fixture.test { client in
            let big = #"{"model":"tiny","prompt":""# + String(repeating: "a", count: 4096) + #""}"#
            try await client.execute(uri: "/api/generate", method: .post, body: .json(big)) { response in
                #expect(response.status == .contentTooLarge)
                #expect((jsonObject(response.body)["error"] as? String)?.contains("2048") == true)
            }
        }
    }

    /// Issue 9 (SSRF): a name with a registry host of the caller's choosing is refused before any
    /// connection is made, unless an operator allowed that host (then port 1 is simply unreachable).
    @Test func pullFromAnUnlistedHostIsForbidden() async throws {
        let body = ByteBuffer.json(#"{"model":"127.0.0.1:1/library/x:y","insecure":true,"stream":false}"#)
        try await WorkerFixture().test { client in
            try await client.execute(uri: "/api/pull", method: .post, body: body) { response in
                #expect(response.status == .forbidden)
                #expect((jsonObject(response.body)["error"] as? String)?.contains("CAKAP_PULL_HOSTS") == true)
            }
        }
        var allowed = try WorkerFixture()
        allowed.configuration.pullHosts = ["127.0.0.1:1"]
        try await allowed.test { client in
            try await client.execute(uri: "/api/pull", method: .post, body: body) { response in
                #expect(response.status == .badGateway)
                #expect((jsonObject(response.body)["error"] as? String)?.contains("cannot reach registry") == true)
            }
        }
    }

    @Test func unknownPathIsJSON404() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(uri: "/api/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(jsonObject(response.body)["error"] != nil)
            }
        }
    }

    @Test func chatStreamsNDJSONAndEndsWithStatistics() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(
                uri: "/api/chat", method: .post,
                body: .json(#"{"model":"tiny","messages":[{"role":"user","content":"hi"}]}"#)
            ) { response in
                #expect(response.headers[.contentType] == "application/x-ndjson")
                let lines = ndjsonObjects(response.body)
                let text = lines.compactMap { ($0["message"] as? [String: Any])?["content"] as? String }.joined()
                #expect(text == "Hello there, friend!")
                let last = try #require(lines.last)
                #expect(last["done"] as? Bool == true)
                #expect(last["done_reason"] as? String == "stop")
                for key in [
                    "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count",
                    "eval_duration",
                ] {
                    #expect(last[key] is Int, "\(key)")
                }
                #expect(last["eval_count"] as? Int == 5)
                #expect(lines.dropLast().allSatisfy { $0["done"] as? Bool == false })
            }
        }
    }

    @Test func generateWithoutStreamingIsOneObject() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(
                uri: "/api/generate", method: .post,
                body: .json(#"{"model":"tiny","prompt":"hi","stream":false,"options":{"num_predict":2}}"#)
            ) { response in
                let object = jsonObject(response.body)
                #expect(object["response"] as? String == "Hello there")
                #expect(object["done_reason"] as? String == "length")
                #expect(object["eval_count"] as? Int == 2)
            }
        }
    }

    @Test func emptyPromptLoadsAndKeepAliveZeroUnloads() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(uri: "/api/generate", method: .post, body: .json(#"{"model":"tiny"}"#)) {
                response in
                #expect(jsonObject(response.body)["done_reason"] as? String == "load")
            }
            try await client.execute(uri: "/api/ps", method: .get) { response in
                let models = jsonObject(response.body)["models"] as? [[String: Any]] ?? []
                #expect(models.compactMap { $0["name"] as? String } == ["tiny:latest"])
            }
            try await client.execute(
                uri: "/api/generate", method: .post, body: .json(#"{"model":"tiny","keep_alive":0}"#)
            ) { response in
                #expect(jsonObject(response.body)["done_reason"] as? String == "unload")
            }
            try await client.execute(uri: "/api/ps", method: .get) { response in
                #expect((jsonObject(response.body)["models"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func embedReturnsOneVectorPerInput() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(
                uri: "/api/embed", method: .post, body: .json(#"{"model":"tiny-embed","input":["a b","c"]}"#)
            ) { response in
                let embeddings = jsonObject(response.body)["embeddings"] as? [[Double]] ?? []
                #expect(embeddings.count == 2)
                let norm = embeddings[0].reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(norm - 1) < 1e-5)
            }
            try await client.execute(
                uri: "/api/embeddings", method: .post, body: .json(#"{"model":"tiny-embed","prompt":"a b"}"#)
            ) { response in
                #expect((jsonObject(response.body)["embedding"] as? [Double])?.count == 8)
            }
        }
    }

    @Test func copyShowAndDelete() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(
                uri: "/api/copy", method: .post, body: .json(#"{"source":"tiny","destination":"me/tiny2:v1"}"#)
            ) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/show", method: .post, body: .json(#"{"model":"me/tiny2:v1"}"#)) {
                response in
                let object = jsonObject(response.body)
                #expect((object["details"] as? [String: Any])?["family"] as? String == "llama")
                #expect((object["model_info"] as? [String: Any])?["general.architecture"] as? String == "llama")
                // A GGUF with a chat template is offered for chat (issue 17).
                #expect(object["capabilities"] as? [String] == ["completion", "chat"])
                #expect(object["template"] as? String == "{{ messages }}")
            }
            try await client.execute(uri: "/api/delete", method: .delete, body: .json(#"{"model":"me/tiny2:v1"}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/api/delete", method: .delete, body: .json(#"{"model":"me/tiny2:v1"}"#)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/api/copy", method: .post, body: .json(#"{"source":"tiny","destination":"../x"}"#)
            ) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test func healthAndMetrics() async throws {
        try await WorkerFixture().test { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .ok)
                #expect(jsonObject(response.body)["status"] as? String == "ready")
            }
            try await client.execute(
                uri: "/api/generate", method: .post, body: .json(#"{"model":"tiny","prompt":"x","stream":false}"#))
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"cakap_worker_requests_total{route="/api/generate",status="200"} 1"#))
                #expect(text.contains("cakap_worker_tokens_generated_total"))
                #expect(text.contains("cakap_worker_queue_depth"))
                #expect(text.contains("cakap_worker_model_load_seconds"))
            }
        }
    }

    @Test func notReadyWithoutAnEngine() async throws {
        var fixture = try WorkerFixture()
        fixture.configuration.enginePath = "/nonexistent/llama-server"
        try await fixture.test { client in
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect((jsonObject(response.body)["error"] as? String)?.contains("llama-server not found") == true)
            }
        }
    }
}

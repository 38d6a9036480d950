import Foundation
import OllamaAPI
import Testing

/// The Ollama wire contract (R-LLM-6): what clients send decodes, what we send encodes as Ollama does.
@Suite struct WireTypesTests {
    @Test func keepAliveAcceptsGoDurationsAndSeconds() throws {
        #expect(KeepAlive(parsing: "5m")?.duration == .seconds(300))
        #expect(KeepAlive(parsing: "1h30m")?.duration == .seconds(5400))
        #expect(KeepAlive(parsing: "250ms")?.duration == .milliseconds(250))
        #expect(KeepAlive(parsing: "0")?.duration == .zero)
        #expect(KeepAlive(parsing: "-1") != nil)
        #expect(KeepAlive(parsing: "-1")?.duration == nil)  // forever
        #expect(KeepAlive(parsing: "5 minutes") == nil)
        #expect(KeepAlive(parsing: "") == nil)
        let decoded = try JSONDecoder().decode(
            [String: KeepAlive].self, from: Data(#"{"a": 10, "b": "2m", "c": -1}"#.utf8))
        #expect(decoded["a"]?.duration == .seconds(10))
        #expect(decoded["b"]?.duration == .seconds(120))
        #expect(decoded["c"]?.duration == nil)
    }

    @Test func invalidKeepAliveIsADecodingError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(KeepAlive.self, from: Data(#""soon""#.utf8))
        }
    }

    @Test func formatIsJSONOrASchema() throws {
        let json = try JSONDecoder().decode(ResponseFormat.self, from: Data(#""json""#.utf8))
        #expect(json == .json)
        let schema = try JSONDecoder().decode(
            ResponseFormat.self, from: Data(#"{"type":"object","properties":{"a":{"type":"integer"}}}"#.utf8))
        guard case .schema(.object(let object)) = schema else {
            Issue.record("expected a schema")
            return
        }
        #expect(object["type"] == .string("object"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ResponseFormat.self, from: Data(#""xml""#.utf8))
        }
    }

    @Test func optionsUseOllamaNamesAndAcceptOneStopString() throws {
        let options = try JSONDecoder().decode(
            ModelOptions.self,
            from: Data(
                #"{"temperature":0,"top_p":0.5,"top_k":3,"seed":7,"num_predict":16,"stop":"\n","num_ctx":512,"repeat_penalty":1.2}"#
                    .utf8))
        #expect(options.temperature == 0)
        #expect(options.topP == 0.5)
        #expect(options.topK == 3)
        #expect(options.seed == 7)
        #expect(options.numPredict == 16)
        #expect(options.stop == ["\n"])
        #expect(options.numCtx == 512)
        #expect(options.repeatPenalty == 1.2)
    }

    @Test func embedInputIsOneTextOrAList() throws {
        let one = try JSONDecoder().decode(EmbedRequest.self, from: Data(#"{"model":"m","input":"hi"}"#.utf8))
        #expect(one.input?.texts == ["hi"])
        let many = try JSONDecoder().decode(EmbedRequest.self, from: Data(#"{"model":"m","input":["a","b"]}"#.utf8))
        #expect(many.input?.texts == ["a", "b"])
    }

    @Test func finalChatObjectCarriesStatisticsAtTopLevel() throws {
        let response = ChatResponse(
            model: "m", createdAt: "t", message: Message(role: "assistant", content: ""), done: true,
            doneReason: "stop",
            statistics: GenerationStatistics(
                totalDuration: 5, loadDuration: 1, promptEvalCount: 2, promptEvalDuration: 3, evalCount: 4,
                evalDuration: 6))
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(response)) as? [String: Any]
        #expect(object?["done_reason"] as? String == "stop")
        #expect(object?["total_duration"] as? Int == 5)
        #expect(object?["eval_count"] as? Int == 4)
        #expect(object?["prompt_eval_duration"] as? Int == 3)
    }

    @Test func streamingChunksOmitStatistics() throws {
        let chunk = GenerateResponse(model: "m", createdAt: "t", response: "hi", done: false)
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(chunk)) as? [String: Any]
        #expect(object?["response"] as? String == "hi")
        #expect(object?["eval_count"] == nil)
        #expect(object?["done_reason"] == nil)
    }

    @Test func timestampsAreRFC3339InUTC() {
        let text = Timestamp.rfc3339(Date(timeIntervalSince1970: 0))
        #expect(text.hasPrefix("1970-01-01T00:00:00"))
        #expect(text.hasSuffix("Z"))
    }
}

import CakapWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A chat longer than the context keeps its system message and its newest turns, as Ollama
/// truncates; it never reaches the engine too long (the brief's client replays the whole history
/// each turn, and once got a 500 past 2,048 tokens).
@Suite struct WorkerContextTests {
    static func turn(_ index: Int) -> String {
        "turn\(index) " + Array(repeating: "word", count: 29).joined(separator: " ")
    }

    @Test func aLongChatKeepsTheSystemMessageAndTheNewestTurns() async throws {
        let fixture = try WorkerFixture()
        let launcher = fixture.launcher
        try await fixture.test { client in
            var messages = [#"{"role":"system","content":"You are Cakap, a friendly partner."}"#]
            for index in 0..<40 {
                let role = index.isMultiple(of: 2) ? "user" : "assistant"
                messages.append(#"{"role":"\#(role)","content":"\#(Self.turn(index))"}"#)
            }
            messages.append(#"{"role":"user","content":"and the last question?"}"#)
            let body =
                #"{"model":"tiny","stream":false,"options":{"num_ctx":512,"num_predict":64},"messages":["#
                + messages.joined(separator: ",") + "]}"
            let response = try await client.execute(uri: "/api/chat", method: .post, body: .json(body))
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let prompt = try #require(launcher.engines.last?.prompts.last)
            #expect(prompt.split(separator: " ").count + 64 <= 512, "\(prompt.split(separator: " ").count) words")
            #expect(prompt.contains("You are Cakap, a friendly partner."))
            #expect(prompt.contains("and the last question?") && prompt.contains("turn39 "))
            #expect(!prompt.contains("turn0 ") && !prompt.contains("turn10 "))
            // Only the oldest were left out: every turn from the first kept one on is there.
            let kept = (0..<40).filter { prompt.contains("turn\($0) ") }
            #expect(kept == Array((kept.first ?? 40)..<40))
        }
    }

    @Test func aShortChatIsSentWhole() async throws {
        let fixture = try WorkerFixture()
        let launcher = fixture.launcher
        try await fixture.test { client in
            let body =
                #"{"model":"tiny","stream":false,"messages":[{"role":"user","content":"\#(Self.turn(1))"},"#
                + #"{"role":"assistant","content":"\#(Self.turn(2))"},{"role":"user","content":"\#(Self.turn(3))"}]}"#
            let response = try await client.execute(uri: "/api/chat", method: .post, body: .json(body))
            #expect(response.status == .ok)
            let prompt = try #require(launcher.engines.last?.prompts.last)
            #expect(prompt.contains("turn1 ") && prompt.contains("turn2 ") && prompt.contains("turn3 "))
        }
    }
}

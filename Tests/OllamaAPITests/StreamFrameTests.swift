import Foundation
import OllamaAPI
import Testing

/// Token lines written without the encoder must still be exactly the JSON the encoder would write.
@Suite struct StreamFrameTests {
    static let awkward = [
        "plain", "quote \" and backslash \\", "new\nline\r\ttab", "\u{0}\u{1}\u{1f}", "héllo 世界 🐱", "", "</script>",
    ]

    @Test(arguments: awkward)
    func quotedStringsRoundTrip(_ text: String) throws {
        let quoted = JSONString.quoted(text)
        let decoded = try JSONDecoder().decode(String.self, from: Data(quoted.utf8))
        #expect(decoded == text)
    }

    @Test(arguments: awkward)
    func chatLinesParseAsOllamaChunks(_ piece: String) throws {
        let line = StreamFrame.chat(model: "smollm2:135m").line(piece: piece, timestamp: "2026-11-29T18:00:00.123Z")
        #expect(line.last == 0x0A)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: Any])
        #expect(object["model"] as? String == "smollm2:135m")
        #expect(object["created_at"] as? String == "2026-11-29T18:00:00.123Z")
        #expect(object["done"] as? Bool == false)
        let message = try #require(object["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == piece)
    }

    @Test func generateLinesParseAsOllamaChunks() throws {
        let line = StreamFrame.generate(model: "a \"quoted\" name").line(piece: "x\n", timestamp: "t")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: Any])
        #expect(object["model"] as? String == "a \"quoted\" name")
        #expect(object["response"] as? String == "x\n")
        #expect(object["done"] as? Bool == false)
        #expect(object.count == 4)
    }
}

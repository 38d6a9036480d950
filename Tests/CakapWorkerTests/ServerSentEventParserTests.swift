import Foundation
import NIOCore
import Testing

@testable import CakapWorker

/// llama-server's event stream read in pieces as small as one byte: a UTF-8 character split
/// across two reads must arrive whole (issue 17, R-LLM-4: the learner reads these tokens).
@Suite struct ServerSentEventParserTests {
    static let pieces = ["Halo! 👋🏽 ", "Café ", "naïve – ", "日本語 ", "🇮🇩", "ß\n"]

    static var stream: [UInt8] {
        var text = ""
        for piece in pieces {
            let json = String(decoding: try! JSONEncoder().encode(["content": piece]), as: UTF8.self)
            text += "data: \(json)\n\n"
        }
        return Array(text.utf8)
    }

    func decode(chunkSize: Int) throws -> String {
        var parser = ServerSentEventParser()
        var events: [String] = []
        let bytes = Self.stream
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            let chunk = bytes[start..<min(start + chunkSize, bytes.count)]
            events += parser.feed(ByteBuffer(bytes: chunk))
        }
        return try events.map { try JSONDecoder().decode(CompletionChunk.self, from: Data($0.utf8)).content ?? "" }
            .joined()
    }

    @Test(arguments: [1, 2, 3, 5, 7, 4096])
    func multiByteCharactersSurviveAnySplit(chunkSize: Int) throws {
        let text = try decode(chunkSize: chunkSize)
        #expect(text == Self.pieces.joined())
        #expect(!text.unicodeScalars.contains("\u{FFFD}"))
    }

    @Test func aPartialLineWaitsForItsEnd() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(ByteBuffer(string: "data: {\"content\":\"caf")).isEmpty)
        #expect(parser.feed(ByteBuffer(bytes: [0xC3])).isEmpty)
        #expect(parser.feed(ByteBuffer(bytes: [0xA9] + Array("\"}\n".utf8))) == ["{\"content\":\"caf\u{E9}\"}"])
    }
}

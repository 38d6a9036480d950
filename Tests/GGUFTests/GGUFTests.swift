import Foundation
import GGUF
import TestSupport
import Testing

@Suite struct GGUFTests {
    @Test func readsMetadataAndCountsParameters() throws {
        let file = try GGUFFile(data: TinyGGUF.make(), arrayLimit: 16)
        #expect(file.architecture == "llama")
        #expect(file.quantization == "Q4_1")
        #expect(file.contextLength == 2048)
        #expect(file.chatTemplate == "{{ messages }}")
        #expect(file.parameterCount == 11)
        #expect(file.tensorCount == 2)
        #expect(file.metadata["tokenizer.ggml.tokens"] == .longArray(count: 100))
        #expect(!file.isEmbeddingModel)
    }

    @Test func bertIsAnEmbeddingModel() throws {
        #expect(try GGUFFile(data: TinyGGUF.make(architecture: "bert")).isEmbeddingModel)
    }

    @Test func rejectsWhatIsNotGGUF() {
        #expect(throws: GGUFError.self) { try GGUFFile(data: Data("not a model at all".utf8)) }
        #expect(throws: GGUFError.self) { try GGUFFile(data: TinyGGUF.make().prefix(40)) }
    }

    @Test func rejectsImplausibleCounts() {
        var data = TinyGGUF.make()
        // Metadata count field (bytes 16..<24) set absurdly high: refused, not allocated.
        data.replaceSubrange(16..<24, with: [UInt8](repeating: 0xFF, count: 8))
        #expect(throws: GGUFError.self) { try GGUFFile(data: data) }
    }
}

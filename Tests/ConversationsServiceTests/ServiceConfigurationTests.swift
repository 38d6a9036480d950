import Conversations
import ConversationsService
import Testing

/// The conversations service's embedding settings (issue 20, R-APP-8): the vector dimension the
/// store checks and indexes follows the configured model, so a Lambda given nomic-embed-text
/// expects 768, not all-minilm's 384.
@Suite struct ServiceConfigurationTests {
    @Test func theDimensionFollowsTheModel() throws {
        let nomic = try ServiceConfiguration.fromEnvironment(["CAKAP_EMBED_MODEL": "nomic-embed-text"])
        #expect(nomic.settings.embeddingModel == "nomic-embed-text")
        #expect(nomic.settings.embeddingDimensions == 768)
        let minilm = try ServiceConfiguration.fromEnvironment(["CAKAP_EMBED_MODEL": "all-minilm:latest"])
        #expect(minilm.settings.embeddingDimensions == 384)
        #expect(try ServiceConfiguration.fromEnvironment([:]).settings.embeddingDimensions == 384)
    }

    @Test func anExplicitDimensionWinsAndAnUnknownModelNeedsOne() throws {
        let explicit = try ServiceConfiguration.fromEnvironment([
            "CAKAP_EMBED_MODEL": "my-embedder", "CAKAP_EMBED_DIMENSIONS": "512",
        ])
        #expect(explicit.settings.embeddingDimensions == 512)
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.fromEnvironment(["CAKAP_EMBED_MODEL": "my-embedder"])
        }
    }

    /// Issue 19: the owner function makes the index of every function's model, since a function
    /// logging in as the least-privilege role cannot create one.
    @Test func theOwnerIndexesEveryFunctionsModelOnce() throws {
        let owner = try ServiceConfiguration.fromEnvironment([
            "CAKAP_EMBED_MODEL": "nomic-embed-text", "CAKAP_OWNER_EMBED_MODELS": "nomic-embed-text, all-minilm",
        ])
        #expect(owner.indexDimensions == [768, 384])
        #expect(try ServiceConfiguration.fromEnvironment([:]).indexDimensions == [384])
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration.fromEnvironment(["CAKAP_OWNER_EMBED_MODELS": "my-embedder"])
        }
    }
}

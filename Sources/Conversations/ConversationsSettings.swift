/// The service's limits and embedding choices. Every limit is enforced with a 400 that names it
/// (docs/conversations-api.md lists them).
public struct ConversationsSettings: Sendable, Equatable {
    /// Largest request body accepted. Default 1 MiB.
    public var maxBodyBytes: Int = 1 << 20
    /// Most messages in one conversation. Default 1,000.
    public var maxMessages: Int = 1000
    /// Longest message, in characters. Default 16,000.
    public var maxMessageCharacters: Int = 16_000
    /// Largest `feedback` object of one message, as JSON bytes.
    public var maxFeedbackBytes: Int = 32 * 1024
    /// Longest title, in characters. Default 200.
    public var maxTitleCharacters: Int = 200
    /// Page size of the list when `limit` is not given. Default 20.
    public var defaultPageSize: Int = 20
    /// Largest `limit` of the list. Default 100.
    public var maxPageSize: Int = 100
    /// Largest `k` of `/similar`. Default 50.
    public var maxSimilar: Int = 50
    /// The embedding model used when the client sends no vector. Default `all-minilm`.
    public var embeddingModel: String = "all-minilm"
    /// The dimension every vector must have: the embedding model's. Default 384 (all-minilm).
    public var embeddingDimensions: Int = 384
    /// How much of the learner's text (the end of it, in characters) is embedded; all-minilm reads
    /// at most 512 tokens. Default 2,000.
    public var embeddingInputCharacters: Int = 2000

    public init() {}

    /// Output dimensions of the embedding models Cakap has been configured with, so choosing a
    /// model also chooses the dimension the store checks and indexes (issue 20: the Lambdas asked
    /// for 384-dimension all-minilm vectors while the fleet served 768-dimension nomic-embed-text).
    public static let knownEmbeddingDimensions: [String: Int] = [
        "all-minilm": 384, "nomic-embed-text": 768, "mxbai-embed-large": 1024, "snowflake-arctic-embed": 1024,
        "bge-m3": 1024,
    ]

    /// The dimension of `model` (a tag such as `:latest` or `:v1.5` does not change it), or nil when unknown.
    public static func embeddingDimensions(of model: String) -> Int? {
        let bare = model.split(separator: ":", maxSplits: 1).first.map(String.init) ?? model
        return knownEmbeddingDimensions[bare.split(separator: "/").last.map(String.init) ?? bare]
    }
}

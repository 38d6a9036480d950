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
    /// Largest total of a message's other fields (any beyond role, content and feedback, such as a
    /// chat library's `id` and `createdAt`), as JSON bytes. Default 4 KiB.
    public var maxOtherFieldsBytes: Int = 4 * 1024
    /// Longest title, in characters. Default 200.
    public var maxTitleCharacters: Int = 200
    /// Most bytes of whole conversations in one list page's `data`: a page ends early (with a
    /// `next_cursor`) rather than pass it, so the answer stays under Lambda's 6 MB response
    /// limit. A page always holds at least one row. Default 4 MiB.
    public var maxListDataBytes: Int = 4 << 20
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
}

import Foundation

/// What a new conversation holds before the store stamps it.
public struct NewConversation: Sendable, Equatable {
    public var uid: String
    public var id: UUID
    public var title: String
    public var messages: [Message]
    public var embedding: StoredEmbedding?

    public init(uid: String, id: UUID, title: String, messages: [Message], embedding: StoredEmbedding?) {
        self.uid = uid
        self.id = id
        self.title = title
        self.messages = messages
        self.embedding = embedding
    }
}

/// What a PUT changes; nil fields stay as they are.
public struct ConversationChanges: Sendable, Equatable {
    /// What happens to the stored vector.
    public enum EmbeddingChange: Sendable, Equatable {
        case keep
        case set(StoredEmbedding)
        /// The messages changed and no new vector could be made: a stale vector must not stay.
        case clear
    }

    public var title: String?
    public var messages: [Message]?
    public var embedding: EmbeddingChange

    public init(title: String? = nil, messages: [Message]? = nil, embedding: EmbeddingChange = .keep) {
        self.title = title
        self.messages = messages
        self.embedding = embedding
    }
}

/// Storage for conversations, always scoped by owner: no method reaches a row of another `uid`.
/// `PostgresConversationStore` is the real one; `MemoryConversationStore` is for unit tests.
public protocol ConversationStore: Sendable {
    /// Inserts unless `(uid, id)` exists; returns the stored row and whether this call made it.
    func insert(_ conversation: NewConversation) async throws -> (record: ConversationRecord, inserted: Bool)
    /// The owner's conversation, or nil.
    func fetch(uid: String, id: UUID) async throws -> ConversationRecord?
    /// The owner's conversations, whole, newest `updatedAt` first (then `id`, descending), after `cursor`.
    func list(uid: String, limit: Int, after cursor: ListCursor?) async throws -> [ConversationRecord]
    /// Applies `changes` and stamps `updatedAt`; nil when the owner has no such conversation.
    func update(uid: String, id: UUID, _ changes: ConversationChanges) async throws -> ConversationRecord?
    /// Whether a row was deleted.
    func delete(uid: String, id: UUID) async throws -> Bool
    /// How many rows were deleted.
    func deleteAll(uid: String) async throws -> Int
    /// The owner's conversations nearest to `vector` (cosine) among those embedded by `model` with
    /// the same dimension, except `excluding`.
    func nearest(
        uid: String, to vector: [Float], model: String, excluding: UUID, limit: Int
    ) async throws
        -> [SimilarConversation]
}

/// A store failure, sorted by what the client should be told.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// `unavailable`: the database cannot be reached now (503, try again); `failed`: anything else (500).
    public enum Kind: Sendable { case unavailable, failed }
    public let kind: Kind
    /// For the log only; never sent to a client.
    public let detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind): \(detail)" }
}

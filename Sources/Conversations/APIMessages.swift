import Foundation
import ServiceShell

/// A client mistake or a refusal: becomes `{"error": message}` with `status`.
struct APIError: Error {
    let status: Int
    let message: String

    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    static func badRequest(_ message: String) -> APIError { APIError(400, message) }
}

// MARK: - Response bodies (docs/openapi/conversations.yaml; snake_case on the wire)

/// A conversation as returned by GET, POST and PUT.
struct ConversationBody: Encodable {
    let uid: String
    let id: String
    let title: String
    let conversation: [Message]
    let messageCount: Int
    /// The model that made the stored vector, or null when there is none.
    let embeddingModel: String?
    let embeddingDimensions: Int?
    /// The vector itself, only with `?include=embedding`; absent otherwise.
    let embedding: [Float]?
    /// Why this save stored no vector although it had learner text; absent when nothing failed.
    let embeddingError: String?
    let createdAt: String
    let updatedAt: String
    /// Also writes `createdAt` and `updatedAt` (camelCase, the brief's reference rows) beside
    /// `created_at` and `updated_at`: the rows of the list's `data`.
    let camelCaseTimes: Bool

    init(
        _ record: ConversationRecord, includeVector: Bool, camelCaseTimes: Bool = false, embeddingError: String? = nil
    ) {
        self.camelCaseTimes = camelCaseTimes
        uid = record.uid
        id = record.id.uuidString.lowercased()
        title = record.title
        conversation = record.messages
        messageCount = record.messages.count
        embeddingModel = record.embedding?.model
        embeddingDimensions = record.embedding?.vector.count
        embedding = includeVector ? record.embedding?.vector : nil
        self.embeddingError = embeddingError
        createdAt = Timestamps.format(record.createdAt)
        updatedAt = Timestamps.format(record.updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case uid, id, title, conversation, embedding
        case messageCount = "message_count"
        case embeddingModel = "embedding_model"
        case embeddingDimensions = "embedding_dimensions"
        case embeddingError = "embedding_error"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case createdAtCamel = "createdAt"
        case updatedAtCamel = "updatedAt"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if camelCaseTimes {
            try container.encode(createdAt, forKey: .createdAtCamel)
            try container.encode(updatedAt, forKey: .updatedAtCamel)
        }
        try container.encode(uid, forKey: .uid)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(conversation, forKey: .conversation)
        try container.encode(messageCount, forKey: .messageCount)
        try container.encode(embeddingModel, forKey: .embeddingModel)  // null, not absent
        try container.encode(embeddingDimensions, forKey: .embeddingDimensions)
        try container.encodeIfPresent(embedding, forKey: .embedding)
        try container.encodeIfPresent(embeddingError, forKey: .embeddingError)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// A row of the list's `items`.
struct SummaryBody: Encodable {
    let id: String
    let title: String
    let messageCount: Int
    let preview: String
    let createdAt: String
    let updatedAt: String

    init(_ record: ConversationRecord) {
        id = record.id.uuidString.lowercased()
        title = record.title
        messageCount = record.messages.count
        preview = String((record.messages.last?.content ?? "").prefix(120))
        createdAt = Timestamps.format(record.createdAt)
        updatedAt = Timestamps.format(record.updatedAt)
    }

    enum CodingKeys: String, CodingKey {
        case id, title, preview
        case messageCount = "message_count"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A page of the list.
struct ListBody: Encodable {
    /// Summaries, newest first.
    let items: [SummaryBody]
    /// The same rows whole (with `createdAt`/`updatedAt` too): what the brief's reference client
    /// reads as `response.data`.
    let data: [ConversationBody]
    /// Pass as `cursor` for the next page; null on the last page.
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items, data
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

/// The neighbours of a conversation, nearest first.
struct SimilarBody: Encodable {
    struct Item: Encodable {
        let id: String
        let title: String
        let updatedAt: String
        /// Cosine distance, 0 to 2.
        let distance: Double

        enum CodingKeys: String, CodingKey {
            case id, title, distance
            case updatedAt = "updated_at"
        }
    }
    let model: String
    let items: [Item]
}

/// How many conversations a DELETE removed.
struct DeletedBody: Encodable {
    let deleted: Int
}

enum Timestamps {
    /// RFC 3339 in UTC with milliseconds.
    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}

import Foundation

/// A request as the core sees it, whichever way it arrived (HTTP server or API Gateway event).
public struct APIRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`, …
    public var method: String
    /// The path, e.g. `/conversations/{uid}/{id}`; percent-encoded as sent.
    public var path: String
    /// Query parameters (last value wins).
    public var query: [String: String]
    /// The raw body.
    public var body: [UInt8]
    /// The verified `sub` of the caller; nil when no identity came with the request.
    public var caller: String?
    /// Echoed in logs and in 5xx messages so an operator can find the failure.
    public var requestId: String

    public init(
        method: String, path: String, query: [String: String] = [:], body: [UInt8] = [], caller: String?,
        requestId: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.caller = caller
        self.requestId = requestId
    }
}

/// The answer: status, headers, JSON body.
public struct APIResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = ["content-type": "application/json"], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `{"error": message}` with `status`.
    public static func error(_ status: Int, _ message: String, headers: [String: String] = [:]) -> APIResponse {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"error"}"#.utf8)
        return APIResponse(
            status: status, headers: headers.merging(["content-type": "application/json"]) { $1 }, body: Array(body))
    }

    /// The body as text, for tests and logs.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

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

    init(_ record: ConversationRecord, includeVector: Bool, embeddingError: String? = nil) {
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
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
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

/// A row of the list.
struct SummaryBody: Encodable {
    let id: String
    let title: String
    let messageCount: Int
    let preview: String
    let createdAt: String
    let updatedAt: String

    init(_ summary: ConversationSummary) {
        id = summary.id.uuidString.lowercased()
        title = summary.title
        messageCount = summary.messageCount
        preview = summary.preview
        createdAt = Timestamps.format(summary.createdAt)
        updatedAt = Timestamps.format(summary.updatedAt)
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
    let items: [SummaryBody]
    /// Pass as `cursor` for the next page; null on the last page.
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
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

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

// MARK: - Response bodies (docs/openapi/conversations.yaml)

/// A conversation as returned by GET, POST and PUT.
struct ConversationBody: Encodable {
    let uid: String
    let id: String
    let title: String
    let conversation: [Message]
    let message_count: Int
    /// The model that made the stored vector, or nil when there is none.
    let embedding_model: String?
    let embedding_dimensions: Int?
    /// The vector itself, only with `?include=embedding`.
    let embedding: [Float]?
    let created_at: String
    let updated_at: String

    init(_ record: ConversationRecord, includeVector: Bool) {
        uid = record.uid
        id = record.id.uuidString.lowercased()
        title = record.title
        conversation = record.messages
        message_count = record.messages.count
        embedding_model = record.embedding?.model
        embedding_dimensions = record.embedding?.vector.count
        embedding = includeVector ? record.embedding?.vector : nil
        created_at = Timestamps.format(record.createdAt)
        updated_at = Timestamps.format(record.updatedAt)
    }

    func encode(to encoder: any Encoder) throws {
        enum Key: String, CodingKey {
            case uid, id, title, conversation, message_count, embedding_model, embedding_dimensions, embedding,
                created_at, updated_at
        }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(uid, forKey: .uid)
        try container.encode(id, forKey: .id)
        try container.encode(title, forKey: .title)
        try container.encode(conversation, forKey: .conversation)
        try container.encode(message_count, forKey: .message_count)
        try container.encode(embedding_model, forKey: .embedding_model)  // null, not absent
        try container.encode(embedding_dimensions, forKey: .embedding_dimensions)
        try container.encodeIfPresent(embedding, forKey: .embedding)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(updated_at, forKey: .updated_at)
    }
}

struct SummaryBody: Encodable {
    let id: String
    let title: String
    let message_count: Int
    let preview: String
    let created_at: String
    let updated_at: String

    init(_ summary: ConversationSummary) {
        id = summary.id.uuidString.lowercased()
        title = summary.title
        message_count = summary.messageCount
        preview = summary.preview
        created_at = Timestamps.format(summary.createdAt)
        updated_at = Timestamps.format(summary.updatedAt)
    }
}

struct ListBody: Encodable {
    let items: [SummaryBody]
    /// Pass as `cursor` for the next page; null on the last page.
    let next_cursor: String?

    func encode(to encoder: any Encoder) throws {
        enum Key: String, CodingKey { case items, next_cursor }
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: .items)
        try container.encode(next_cursor, forKey: .next_cursor)
    }
}

struct SimilarBody: Encodable {
    struct Item: Encodable {
        let id: String
        let title: String
        let updated_at: String
        let distance: Double
    }
    let model: String
    let items: [Item]
}

struct DeletedBody: Encodable {
    let deleted: Int
}

enum Timestamps {
    /// RFC 3339 in UTC with milliseconds.
    static func format(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}

import Foundation
import ServiceShell

extension ConversationsAPI {
    /// POST: creates (201), or replaces the owner's conversation of that id (200), as the brief's
    /// reference Lambda does (`ON CONFLICT DO UPDATE`): its client saves the whole conversation
    /// under one id after every turn. Only the caller's own conversations are reached: the same id
    /// under another owner is another conversation.
    func create(uid: String, body: [UInt8]) async throws -> APIResponse {
        let fields = try ConversationFields(
            body: body, reading: ["id", "title", "conversation", "embedding"], settings: settings)
        guard let id = fields.id else { throw APIError.badRequest("\"id\" is required") }
        guard let title = fields.title else { throw APIError.badRequest("\"title\" is required") }
        guard let messages = fields.messages else { throw APIError.badRequest("\"conversation\" is required") }
        if let existing = try await store.fetch(uid: uid, id: id) {
            return try await replace(existing, title: title, messages: messages, vector: fields.embedding)
        }
        let embedding = await embedding(sent: fields.embedding, messages: messages)
        let (record, inserted) = try await store.insert(
            NewConversation(uid: uid, id: id, title: title, messages: messages, embedding: embedding.stored))
        if !inserted { return try await replace(record, title: title, messages: messages, vector: fields.embedding) }
        return try Self.json(201, ConversationBody(record, includeVector: false, embeddingError: embedding.error))
    }

    /// A POST of an id the owner already has: the same content answers the stored row unchanged;
    /// other content replaces title and messages, and the vector is made again for new messages.
    private func replace(
        _ existing: ConversationRecord, title: String, messages: [Message], vector: [Float]?
    ) async throws -> APIResponse {
        if existing.title == title, existing.messages == messages, vector == nil {
            return try Self.json(200, ConversationBody(existing, includeVector: false))
        }
        var changes = ConversationChanges(title: title, messages: messages)
        var embeddingError: String?
        if let vector {
            changes.embedding = .set(StoredEmbedding(model: Self.clientModel, vector: vector))
        } else if existing.messages != messages {
            let embedding = await embedding(sent: nil, messages: messages)
            changes.embedding = embedding.stored.map { .set($0) } ?? .clear
            embeddingError = embedding.error
        }
        guard let record = try await store.update(uid: existing.uid, id: existing.id, changes) else {
            throw notFound  // deleted in between
        }
        return try Self.json(200, ConversationBody(record, includeVector: false, embeddingError: embeddingError))
    }

    func get(uid: String, id: UUID, query: [String: String]) async throws -> APIResponse {
        let include = query["include"]
        guard include == nil || include == "embedding" else {
            throw APIError.badRequest("\"include\" may only be \"embedding\"")
        }
        guard let record = try await store.fetch(uid: uid, id: id) else { throw notFound }
        return try Self.json(200, ConversationBody(record, includeVector: include == "embedding"))
    }

    /// PUT: changes only the fields sent. New messages without a vector get a new vector (or
    /// none, if it cannot be made), never the old one.
    func update(uid: String, id: UUID, body: [UInt8]) async throws -> APIResponse {
        let fields = try ConversationFields(
            body: body, reading: ["title", "conversation", "embedding"], settings: settings)
        guard fields.title != nil || fields.messages != nil || fields.embedding != nil else {
            throw APIError.badRequest("nothing to change: send title, conversation or embedding")
        }
        var changes = ConversationChanges(title: fields.title, messages: fields.messages)
        var embeddingError: String?
        if let vector = fields.embedding {
            changes.embedding = .set(StoredEmbedding(model: Self.clientModel, vector: vector))
        } else if let messages = fields.messages {
            guard try await store.fetch(uid: uid, id: id) != nil else { throw notFound }
            let embedding = await embedding(sent: nil, messages: messages)
            changes.embedding = embedding.stored.map { .set($0) } ?? .clear
            embeddingError = embedding.error
        }
        guard let record = try await store.update(uid: uid, id: id, changes) else { throw notFound }
        return try Self.json(200, ConversationBody(record, includeVector: false, embeddingError: embeddingError))
    }

    func delete(uid: String, id: UUID) async throws -> APIResponse {
        guard try await store.delete(uid: uid, id: id) else { throw notFound }
        return try Self.json(200, DeletedBody(deleted: 1))
    }

    func deleteAll(uid: String) async throws -> APIResponse {
        try Self.json(200, DeletedBody(deleted: try await store.deleteAll(uid: uid)))
    }

    /// Newest first; `limit` (1…maxPageSize) and the opaque `cursor` of the previous page.
    /// `items` are summaries; `data` holds the same rows whole, as the brief's reference client
    /// reads them, and ends the page early rather than pass `maxListDataBytes`.
    func list(uid: String, query: [String: String]) async throws -> APIResponse {
        let limit =
            try Self.integer(query["limit"], name: "limit", range: 1...settings.maxPageSize)
            ?? settings.defaultPageSize
        var cursor: ListCursor?
        if let token = query["cursor"] {
            guard let parsed = ListCursor(token: token) else {
                throw APIError.badRequest("\"cursor\" is not one this service gave out")
            }
            cursor = parsed
        }
        // One extra row says whether another page exists.
        let rows = try await store.list(uid: uid, limit: limit + 1, after: cursor)
        var page: [ConversationRecord] = []
        var bytes = 0
        for row in rows.prefix(limit) {
            bytes += try JSONEncoder().encode(ConversationBody(row, includeVector: false)).count
            if bytes > settings.maxListDataBytes, !page.isEmpty { break }
            page.append(row)
        }
        let next =
            rows.count > page.count ? page.last.map { ListCursor(updatedAtMicros: $0.updatedAtMicros, id: $0.id) } : nil
        return try Self.json(
            200,
            ListBody(
                items: page.map(SummaryBody.init),
                data: page.map { ConversationBody($0, includeVector: false, camelCaseTimes: true) },
                nextCursor: next?.token))
    }

    /// Beyond the brief: the owner's `k` nearest conversations to this one, by cosine distance
    /// between vectors of the same model.
    func similar(uid: String, id: UUID, query: [String: String]) async throws -> APIResponse {
        let k = try Self.integer(query["k"], name: "k", range: 1...settings.maxSimilar) ?? 5
        guard let record = try await store.fetch(uid: uid, id: id) else { throw notFound }
        guard let embedding = record.embedding else {
            throw APIError(409, "this conversation has no vector yet; it gets one when it has learner turns")
        }
        let neighbours = try await store.nearest(
            uid: uid, to: embedding.vector, model: embedding.model, excluding: id, limit: k)
        return try Self.json(
            200,
            SimilarBody(
                model: embedding.model,
                items: neighbours.map {
                    .init(
                        id: $0.id.uuidString.lowercased(), title: $0.title,
                        updatedAt: Timestamps.format($0.updatedAt), distance: $0.distance)
                }))
    }

    // MARK: - Helpers

    /// The model name recorded for vectors the client sent.
    static let clientModel = "client"

    var notFound: APIError { APIError(404, "no such conversation") }

    /// The vector to store: the client's, else one made from the learner's turns, else none (no
    /// learner text yet, or the embedder failed). A failure keeps the save (the learner's turns
    /// matter more than their vector) but is never silent (issue 20): it is logged as an error and
    /// returned as `embedding_error`, so a client, the smoke test and the log all see it.
    func embedding(sent: [Float]?, messages: [Message]) async -> (stored: StoredEmbedding?, error: String?) {
        if let sent { return (StoredEmbedding(model: Self.clientModel, vector: sent), nil) }
        guard let embedder else { return (nil, nil) }
        let learnerText = messages.filter { $0.role == .user }.map(\.content).joined(separator: "\n")
        guard !learnerText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return (nil, nil) }
        let problem: String
        do {
            let vector = try await embedder.embed(String(learnerText.suffix(settings.embeddingInputCharacters)))
            if vector.count == settings.embeddingDimensions {
                return (StoredEmbedding(model: embedder.model, vector: vector), nil)
            }
            problem =
                "\(embedder.model) returned \(vector.count) dimensions, the service is configured for "
                + "\(settings.embeddingDimensions) (CAKAP_EMBED_DIMENSIONS)"
        } catch {
            problem = "\(embedder.model) could not embed the conversation: \(error)"
        }
        logger.error("no vector stored", metadata: ["model": "\(embedder.model)", "reason": "\(problem)"])
        return (nil, problem)
    }

    static func integer(_ text: String?, name: String, range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest("\"\(name)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

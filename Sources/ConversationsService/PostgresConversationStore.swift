import Conversations
import Foundation
import Logging
import PostgresNIO

/// Conversations in PostgreSQL with pgvector (R-DB-1). Every statement is scoped by `uid`, and
/// every call is bounded by `timeout`: a database that cannot be reached is a `StoreError`
/// of kind `unavailable` (503) within that time, and the pool reconnects by itself once it is back.
public struct PostgresConversationStore: ConversationStore {
    let client: PostgresClient
    let logger: Logger
    let timeout: Duration
    /// Below this many vectors an owner's neighbours are found by exact scan; above it, by the
    /// HNSW index (pgvector 0.6 filters after the index scan, which can miss rows of a small owner).
    let exactScanLimit: Int

    public init(client: PostgresClient, logger: Logger, timeout: Duration = .seconds(5), exactScanLimit: Int = 2000) {
        self.client = client
        self.logger = logger
        self.timeout = timeout
        self.exactScanLimit = exactScanLimit
    }

    /// Applies the migrations (see `Migrations`) within `timeout` (an HNSW index over many rows
    /// takes a while to build, so this is not the per-request bound).
    /// With `appRole`, also creates or updates the functions' least-privilege role.
    func migrate(dimensions: Int, appRole: Migrations.AppRole? = nil, timeout: Duration) async throws {
        let client = client
        let logger = logger
        let applied = try await bounded(within: timeout) {
            try await Migrations.apply(on: client, dimensions: dimensions, appRole: appRole, logger: logger)
        }
        logger.info("database schema ready", metadata: ["applied": "\(applied)"])
    }

    static let columns = """
        uid, id, title, conversation::text, embedding::text, embedding_model,
        (extract(epoch FROM created_at) * 1000000)::int8, (extract(epoch FROM updated_at) * 1000000)::int8
        """

    public func insert(_ conversation: NewConversation) async throws -> (record: ConversationRecord, inserted: Bool) {
        let messages = try Self.encode(conversation.messages)
        let vector = conversation.embedding.map { VectorText.format($0.vector) }
        let model = conversation.embedding?.model
        let dimension = conversation.embedding?.vector.count
        let query: PostgresQuery = """
            INSERT INTO conversations (uid, id, title, conversation, embedding, embedding_model, embedding_dim)
            VALUES (\(conversation.uid), \(conversation.id), \(conversation.title), \(messages)::jsonb,
                    \(vector)::text::vector, \(model), \(dimension))
            ON CONFLICT (uid, id) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """
        if let record = try await bounded({ try await records(query).first }) { return (record, true) }
        guard let existing = try await fetch(uid: conversation.uid, id: conversation.id) else {
            throw StoreError(.failed, "insert conflicted but no row was found")  // deleted in between
        }
        return (existing, false)
    }

    public func fetch(uid: String, id: UUID) async throws -> ConversationRecord? {
        try await bounded {
            try await records("SELECT \(unescaped: Self.columns) FROM conversations WHERE uid = \(uid) AND id = \(id)")
                .first
        }
    }

    public func list(uid: String, limit: Int, after cursor: ListCursor?) async throws -> [ConversationRecord] {
        var query: PostgresQuery = "SELECT \(unescaped: Self.columns) FROM conversations WHERE uid = \(uid)"
        if let cursor {
            query.sql += " AND (updated_at, id) < (TIMESTAMPTZ 'epoch' + $2 * INTERVAL '1 microsecond', $3)"
            query.binds.append(cursor.updatedAtMicros)
            query.binds.append(cursor.id)
        }
        query.sql += " ORDER BY updated_at DESC, id DESC LIMIT $\(query.binds.count + 1)"
        query.binds.append(limit)
        let finished = query
        return try await bounded { try await records(finished) }
    }

    public func update(uid: String, id: UUID, _ changes: ConversationChanges) async throws -> ConversationRecord? {
        let messages = try changes.messages.map(Self.encode)
        var setEmbedding = false
        var vector: String?
        var model: String?
        var dimension: Int?
        switch changes.embedding {
        case .keep: break
        case .clear: setEmbedding = true
        case .set(let embedding):
            setEmbedding = true
            vector = VectorText.format(embedding.vector)
            model = embedding.model
            dimension = embedding.vector.count
        }
        let query: PostgresQuery = """
            UPDATE conversations SET
                title = coalesce(\(changes.title), title),
                conversation = coalesce(\(messages)::jsonb, conversation),
                embedding = CASE WHEN \(setEmbedding) THEN \(vector)::text::vector ELSE embedding END,
                embedding_model = CASE WHEN \(setEmbedding) THEN \(model) ELSE embedding_model END,
                embedding_dim = CASE WHEN \(setEmbedding) THEN \(dimension)::integer ELSE embedding_dim END,
                updated_at = greatest(now(), updated_at + INTERVAL '1 microsecond')
            WHERE uid = \(uid) AND id = \(id)
            RETURNING \(unescaped: Self.columns)
            """
        return try await bounded { try await records(query).first }
    }

    public func delete(uid: String, id: UUID) async throws -> Bool {
        try await bounded {
            let rows = try await client.query(
                "DELETE FROM conversations WHERE uid = \(uid) AND id = \(id) RETURNING 1", logger: logger)
            return try await rows.collect().count == 1
        }
    }

    public func deleteAll(uid: String) async throws -> Int {
        try await bounded {
            let rows = try await client.query(
                "DELETE FROM conversations WHERE uid = \(uid) RETURNING 1", logger: logger)
            return try await rows.collect().count
        }
    }

    public func nearest(
        uid: String, to vector: [Float], model: String, excluding: UUID, limit: Int
    ) async throws
        -> [SimilarConversation]
    {
        let text = VectorText.format(vector)
        let dimension = vector.count
        return try await bounded {
            // Counting stops just past the limit: the owner's whole history need not be read.
            let countRows = try await client.query(
                """
                SELECT count(*)::int8 FROM (
                    SELECT 1 FROM conversations
                    WHERE uid = \(uid) AND embedding_model = \(model) AND embedding_dim = \(dimension)
                    LIMIT \(exactScanLimit + 1)) AS owned
                """, logger: logger)
            var count: Int64 = 0
            for try await value in countRows.decode(Int64.self) { count = value }
            if count > exactScanLimit {
                let found = try await nearestByIndex(
                    uid: uid, vector: text, dimension: dimension, model: model, excluding: excluding, limit: limit)
                // Fewer than asked: the owner's rows were sparse in the index's candidates; scan exactly.
                if found.count == limit { return found }
            }
            return try await neighbours(
                """
                SELECT id, title, (extract(epoch FROM updated_at) * 1000000)::int8,
                       (embedding <=> \(text)::text::vector)::float8 AS distance
                FROM conversations
                WHERE uid = \(uid) AND embedding_model = \(model) AND embedding_dim = \(dimension) AND id <> \(excluding)
                ORDER BY distance LIMIT \(limit)
                """)
        }
    }

    /// The HNSW index's expression, `embedding::vector(N)`, with a wider search list (100, the
    /// default is 40) so the owner filter more often still leaves `limit` rows.
    private func nearestByIndex(
        uid: String, vector: String, dimension: Int, model: String, excluding: UUID, limit: Int
    ) async throws -> [SimilarConversation] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SET LOCAL hnsw.ef_search = 100", logger: logger)
            var query: PostgresQuery = """
                SELECT id, title, (extract(epoch FROM updated_at) * 1000000)::int8,
                       (embedding::vector(DIM) <=> \(vector)::text::vector(DIM))::float8 AS distance
                FROM conversations
                WHERE embedding_dim = DIM AND uid = \(uid) AND embedding_model = \(model) AND id <> \(excluding)
                ORDER BY embedding::vector(DIM) <=> \(vector)::text::vector(DIM) LIMIT \(limit)
                """
            query.sql = query.sql.replacingOccurrences(of: "DIM", with: String(dimension))
            var found: [SimilarConversation] = []
            for try await (id, title, updated, distance) in try await connection.query(query, logger: logger).decode(
                (UUID, String, Int64, Double).self)
            {
                found.append(
                    SimilarConversation(id: id, title: title, updatedAt: Self.date(updated), distance: distance))
            }
            return found
        }
    }

    private func neighbours(_ query: PostgresQuery) async throws -> [SimilarConversation] {
        var found: [SimilarConversation] = []
        for try await (id, title, updated, distance) in try await client.query(query, logger: logger).decode(
            (UUID, String, Int64, Double).self)
        {
            found.append(SimilarConversation(id: id, title: title, updatedAt: Self.date(updated), distance: distance))
        }
        return found
    }

    // MARK: - Rows

    private func records(_ query: PostgresQuery) async throws -> [ConversationRecord] {
        var records: [ConversationRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await (uid, id, title, messagesJSON, vectorText, model, created, updated) in rows.decode(
            (String, UUID, String, String, String?, String?, Int64, Int64).self)
        {
            let messages = try JSONDecoder().decode([Message].self, from: Data(messagesJSON.utf8))
            var embedding: StoredEmbedding?
            if let vectorText, let model {
                guard let vector = VectorText.parse(vectorText) else {
                    throw StoreError(.failed, "unreadable vector in conversation \(id)")
                }
                embedding = StoredEmbedding(model: model, vector: vector)
            }
            records.append(
                ConversationRecord(
                    uid: uid, id: id, title: title, messages: messages, embedding: embedding,
                    createdAt: Self.date(created), updatedAt: Self.date(updated)))
        }
        return records
    }

    static func encode(_ messages: [Message]) throws -> String {
        String(decoding: try JSONEncoder().encode(messages), as: UTF8.self)
    }

    static func date(_ micros: Int64) -> Date { Date(timeIntervalSince1970: Double(micros) / 1_000_000) }

    // MARK: - Failures

    /// Runs `operation` within `timeout`, turning driver errors into `StoreError`s.
    private func bounded<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await bounded(within: timeout, operation)
    }

    private func bounded<T: Sendable>(
        within timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            return try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StoreError(.unavailable, "no answer from the database within \(timeout)")
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let error as StoreError {
            throw error
        } catch let error as PSQLError {
            throw Self.classify(error)
        } catch is CancellationError {
            throw StoreError(.unavailable, "cancelled")
        } catch {
            throw StoreError(.failed, "\(error)")
        }
    }

    /// Connection trouble and server shutdown are `unavailable`; anything the server rejected is `failed`.
    static func classify(_ error: PSQLError) -> StoreError {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? ""
            let transient = state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300"
            return StoreError(transient ? .unavailable : .failed, "SQLSTATE \(state): \(message)")
        default:
            return StoreError(.unavailable, "\(error.code)")
        }
    }
}

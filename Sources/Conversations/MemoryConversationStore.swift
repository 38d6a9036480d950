import Foundation

/// An in-memory `ConversationStore` for unit tests, with the same ordering and scoping rules as
/// the PostgreSQL one. `unavailable` makes every call fail as a stopped database would.
public actor MemoryConversationStore: ConversationStore {
    private var rows: [String: [UUID: ConversationRecord]] = [:]
    private var clock: Int64 = 1_700_000_000_000_000
    public var unavailable = false

    public init() {}

    public func setUnavailable(_ value: Bool) { unavailable = value }

    private func check() throws {
        if unavailable { throw StoreError(.unavailable, "memory store marked unavailable") }
    }

    private func tick() -> Date {
        clock += 1000
        return Date(timeIntervalSince1970: Double(clock) / 1_000_000)
    }

    public func insert(_ conversation: NewConversation) throws -> (record: ConversationRecord, inserted: Bool) {
        try check()
        if let existing = rows[conversation.uid]?[conversation.id] { return (existing, false) }
        let now = tick()
        let record = ConversationRecord(
            uid: conversation.uid, id: conversation.id, title: conversation.title, messages: conversation.messages,
            embedding: conversation.embedding, createdAt: now, updatedAt: now)
        rows[conversation.uid, default: [:]][conversation.id] = record
        return (record, true)
    }

    public func fetch(uid: String, id: UUID) throws -> ConversationRecord? {
        try check()
        return rows[uid]?[id]
    }

    public func list(uid: String, limit: Int, after cursor: ListCursor?) throws -> [ConversationRecord] {
        try check()
        let sorted = (rows[uid]?.values ?? [:].values).sorted {
            ($0.updatedAt, $0.id.uuidString.lowercased()) > ($1.updatedAt, $1.id.uuidString.lowercased())
        }
        let after = sorted.filter { record in
            guard let cursor else { return true }
            let micros = record.updatedAtMicros
            return micros < cursor.updatedAtMicros
                || (micros == cursor.updatedAtMicros
                    && record.id.uuidString.lowercased() < cursor.id.uuidString.lowercased())
        }
        return Array(after.prefix(limit))
    }

    public func update(uid: String, id: UUID, _ changes: ConversationChanges) throws -> ConversationRecord? {
        try check()
        guard var record = rows[uid]?[id] else { return nil }
        if let title = changes.title { record.title = title }
        if let messages = changes.messages { record.messages = messages }
        switch changes.embedding {
        case .keep: break
        case .set(let embedding): record.embedding = embedding
        case .clear: record.embedding = nil
        }
        record.updatedAt = tick()
        rows[uid]?[id] = record
        return record
    }

    public func delete(uid: String, id: UUID) throws -> Bool {
        try check()
        return rows[uid]?.removeValue(forKey: id) != nil
    }

    public func deleteAll(uid: String) throws -> Int {
        try check()
        return rows.removeValue(forKey: uid)?.count ?? 0
    }

    public func nearest(
        uid: String, to vector: [Float], model: String, excluding: UUID, limit: Int
    ) throws
        -> [SimilarConversation]
    {
        try check()
        return (rows[uid]?.values ?? [:].values)
            .compactMap { record -> SimilarConversation? in
                guard record.id != excluding, let embedding = record.embedding, embedding.model == model,
                    embedding.vector.count == vector.count
                else { return nil }
                return SimilarConversation(
                    id: record.id, title: record.title, updatedAt: record.updatedAt,
                    distance: Self.cosineDistance(vector, embedding.vector))
            }
            .sorted { $0.distance < $1.distance }
            .prefix(limit).map { $0 }
    }

    static func cosineDistance(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0
        var normA = 0.0
        var normB = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            normA += Double(x) * Double(x)
            normB += Double(y) * Double(y)
        }
        guard normA > 0, normB > 0 else { return 1 }
        return 1 - dot / (normA.squareRoot() * normB.squareRoot())
    }
}

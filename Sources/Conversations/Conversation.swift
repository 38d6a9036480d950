import Foundation
import OllamaAPI

/// Who wrote a message.
public enum Role: String, Codable, Sendable, CaseIterable {
    case system, user, assistant
}

/// One turn of a conversation: `{"role": ..., "content": ..., "feedback"?: {...}, ...}`.
public struct Message: Codable, Sendable, Equatable {
    /// `system`, `user` (the learner) or `assistant` (the partner).
    public var role: Role
    /// The text of the turn.
    public var content: String
    /// The tutor's feedback on this turn, as the tutor answered it (R-APP-8: findings are kept with
    /// the conversation). Stored and returned as-is; absent when the client sent none.
    public var feedback: JSONValue?
    /// Every other field the client sent with the message, kept and returned as sent: a chat
    /// library's own `id` and `createdAt` (the brief's reference client sends them), so a client
    /// that reloads its messages gets back what it saved. Empty when there were none.
    public var other: [String: JSONValue]

    public init(role: Role, content: String, feedback: JSONValue? = nil, other: [String: JSONValue] = [:]) {
        self.role = role
        self.content = content
        self.feedback = feedback
        self.other = other
    }

    /// The field names this type reads itself; any other name goes to `other`.
    public static let knownFields: Set<String> = ["role", "content", "feedback"]

    struct FieldName: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: FieldName.self)
        role = try container.decode(Role.self, forKey: FieldName("role"))
        content = try container.decode(String.self, forKey: FieldName("content"))
        feedback = try container.decodeIfPresent(JSONValue.self, forKey: FieldName("feedback"))
        var other: [String: JSONValue] = [:]
        for key in container.allKeys where !Self.knownFields.contains(key.stringValue) {
            other[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        self.other = other
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldName.self)
        // The client's own fields first, so ours win should a name ever repeat.
        for (name, value) in other where !Self.knownFields.contains(name) {
            try container.encode(value, forKey: FieldName(name))
        }
        try container.encode(role, forKey: FieldName("role"))
        try container.encode(content, forKey: FieldName("content"))
        try container.encodeIfPresent(feedback, forKey: FieldName("feedback"))
    }
}

/// A vector together with the model that made it; its dimension is `vector.count`. Vectors of
/// different models are never compared with each other.
public struct StoredEmbedding: Sendable, Equatable {
    /// The embedding model's name (`all-minilm`), or `client` when the client sent the vector.
    public var model: String
    /// The vector.
    public var vector: [Float]

    public init(model: String, vector: [Float]) {
        self.model = model
        self.vector = vector
    }
}

/// A stored conversation. `(uid, id)` is its key: the same id under two owners is two conversations.
public struct ConversationRecord: Sendable, Equatable {
    /// The owner: the `sub` claim of the learner's token.
    public var uid: String
    /// Chosen by the client.
    public var id: UUID
    public var title: String
    public var messages: [Message]
    /// Nil when there is nothing to embed yet, or computing it failed.
    public var embedding: StoredEmbedding?
    public var createdAt: Date
    public var updatedAt: Date

    /// Microseconds since 1970 of `updatedAt` (the list's paging key with `id`). Stores keep
    /// whole microseconds, which a `Date` holds exactly enough to round back.
    public var updatedAtMicros: Int64 { Int64((updatedAt.timeIntervalSince1970 * 1_000_000).rounded()) }

    public init(
        uid: String, id: UUID, title: String, messages: [Message], embedding: StoredEmbedding?, createdAt: Date,
        updatedAt: Date
    ) {
        self.uid = uid
        self.id = id
        self.title = title
        self.messages = messages
        self.embedding = embedding
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A neighbour found by `/similar`.
public struct SimilarConversation: Sendable, Equatable {
    public var id: UUID
    public var title: String
    public var updatedAt: Date
    /// Cosine distance, 0 (same direction) to 2.
    public var distance: Double

    public init(id: UUID, title: String, updatedAt: Date, distance: Double) {
        self.id = id
        self.title = title
        self.updatedAt = updatedAt
        self.distance = distance
    }
}

/// Where a list page starts: after this `(updated_at, id)`, newest first.
public struct ListCursor: Sendable, Equatable {
    public var updatedAtMicros: Int64
    public var id: UUID

    public init(updatedAtMicros: Int64, id: UUID) {
        self.updatedAtMicros = updatedAtMicros
        self.id = id
    }

    /// Opaque to clients: `base64url("<micros>.<uuid>")`.
    public var token: String {
        Data("\(updatedAtMicros).\(id.uuidString.lowercased())".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard token.count <= 128, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8)
        else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            return nil
        }
        self.init(updatedAtMicros: micros, id: id)
    }
}

import Foundation
import OllamaAPI

/// The fields of a POST or PUT body after validation; nil when not sent.
struct ConversationFields {
    var id: UUID?
    var title: String?
    var messages: [Message]?
    var embedding: [Float]?

    /// Parses and checks a body against the limits, naming the first thing that is wrong. Only the
    /// fields in `reading` are read; any other field is ignored, as the brief's reference Lambda
    /// does (its check page sends `userId` with a PUT): the owner always comes from the token.
    init(body: [UInt8], reading: Set<String>, settings: ConversationsSettings) throws(APIError) {
        guard !body.isEmpty else { throw .badRequest("the body is empty; send a JSON object") }
        guard body.count <= settings.maxBodyBytes else {
            throw APIError(413, "the body is larger than \(settings.maxBodyBytes) bytes")
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw .badRequest("the body is not valid JSON")
        }
        guard case .object(var object) = value else { throw .badRequest("the body must be a JSON object") }
        object = object.filter { reading.contains($0.key) }
        if let raw = object["id"], raw != .null {
            guard case .string(let text) = raw, let id = UUID(uuidString: text) else {
                throw .badRequest("\"id\" must be a UUID string such as 6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b")
            }
            self.id = id
        }
        if let raw = object["title"], raw != .null {
            guard case .string(let title) = raw else { throw .badRequest("\"title\" must be a string") }
            guard !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .badRequest("\"title\" must not be empty")
            }
            guard !title.unicodeScalars.contains("\u{0}") else {
                throw .badRequest("\"title\" contains a NUL character (U+0000), which cannot be stored")
            }
            guard title.count <= settings.maxTitleCharacters else {
                throw .badRequest("\"title\" is longer than \(settings.maxTitleCharacters) characters")
            }
            self.title = title
        }
        if let raw = object["conversation"], raw != .null {
            messages = try Self.messages(raw, settings: settings)
        }
        if let raw = object["embedding"], raw != .null {
            embedding = try Self.vector(raw, dimensions: settings.embeddingDimensions)
        }
    }

    private static func messages(_ raw: JSONValue, settings: ConversationsSettings) throws(APIError) -> [Message] {
        guard case .array(let items) = raw else {
            throw .badRequest("\"conversation\" must be a list of {\"role\", \"content\"} messages")
        }
        guard items.count <= settings.maxMessages else {
            throw .badRequest("\"conversation\" has \(items.count) messages; the limit is \(settings.maxMessages)")
        }
        var messages: [Message] = []
        messages.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            let place = "conversation[\(index)]"
            guard case .object(let fields) = item else {
                throw .badRequest("\(place) must be an object with \"role\" and \"content\"")
            }
            guard case .string(let roleText) = fields["role"] ?? .null, let role = Role(rawValue: roleText) else {
                throw .badRequest("\(place).role must be one of system, user, assistant")
            }
            guard case .string(let content) = fields["content"] ?? .null else {
                throw .badRequest("\(place).content must be a string")
            }
            guard !content.unicodeScalars.contains("\u{0}") else {
                throw .badRequest("\(place).content contains a NUL character (U+0000), which cannot be stored")
            }
            guard content.count <= settings.maxMessageCharacters else {
                throw .badRequest("\(place).content is longer than \(settings.maxMessageCharacters) characters")
            }
            messages.append(
                Message(
                    role: role, content: content,
                    feedback: try feedback(fields["feedback"], place: place, settings: settings),
                    other: try otherFields(fields, place: place, settings: settings)))
        }
        return messages
    }

    /// A message's `feedback`: an object (or absent/null), at most `maxFeedbackBytes` as JSON, no NUL.
    private static func feedback(
        _ raw: JSONValue?, place: String, settings: ConversationsSettings
    ) throws(APIError)
        -> JSONValue?
    {
        guard let raw, raw != .null else { return nil }
        guard case .object = raw else { throw .badRequest("\(place).feedback must be an object") }
        guard let encoded = try? JSONEncoder().encode(raw) else {
            throw .badRequest("\(place).feedback is not valid JSON")
        }
        guard encoded.count <= settings.maxFeedbackBytes else {
            throw .badRequest("\(place).feedback is larger than \(settings.maxFeedbackBytes) bytes")
        }
        guard !containsNUL(raw) else {
            throw .badRequest("\(place).feedback contains a NUL character (U+0000), which cannot be stored")
        }
        return raw
    }

    /// A message's fields beyond role, content and feedback (a chat library's `id`, `createdAt`, …):
    /// kept as sent, at most `maxOtherFieldsBytes` together as JSON, no NUL.
    private static func otherFields(
        _ fields: [String: JSONValue], place: String, settings: ConversationsSettings
    ) throws(APIError) -> [String: JSONValue] {
        let other = fields.filter { !Message.knownFields.contains($0.key) }
        guard !other.isEmpty else { return [:] }
        let names = other.keys.sorted().joined(separator: ", ")
        guard let encoded = try? JSONEncoder().encode(other), encoded.count <= settings.maxOtherFieldsBytes else {
            throw .badRequest(
                "\(place)'s other fields (\(names)) are larger than \(settings.maxOtherFieldsBytes) bytes together")
        }
        guard !containsNUL(.object(other)) else {
            throw .badRequest("\(place)'s other fields contain a NUL character (U+0000), which cannot be stored")
        }
        return other
    }

    /// PostgreSQL's jsonb cannot hold U+0000 in any string or key.
    private static func containsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): text.unicodeScalars.contains("\u{0}")
        case .array(let items): items.contains(where: containsNUL)
        case .object(let fields): fields.contains { $0.key.unicodeScalars.contains("\u{0}") || containsNUL($0.value) }
        default: false
        }
    }

    private static func vector(_ raw: JSONValue, dimensions: Int) throws(APIError) -> [Float] {
        guard case .array(let items) = raw else { throw .badRequest("\"embedding\" must be a list of numbers") }
        guard items.count == dimensions else {
            throw .badRequest(
                "\"embedding\" has \(items.count) dimensions; the configured embedding model has \(dimensions)")
        }
        var vector: [Float] = []
        vector.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .number(let number) = item, let value = Float(exactly: Float(number)), value.isFinite,
                abs(number) <= Double(Float.greatestFiniteMagnitude)
            else { throw .badRequest("embedding[\(index)] must be a finite number") }
            vector.append(value)
        }
        guard vector.contains(where: { $0 != 0 }) else {
            throw .badRequest("\"embedding\" is all zeros; a zero vector has no direction to compare")
        }
        return vector
    }
}

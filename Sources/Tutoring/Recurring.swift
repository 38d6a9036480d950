import Foundation

/// A mistake the learner has made before (R-APP-8), mentioned with the feedback.
public struct RecurringMistake: Sendable, Equatable, Encodable {
    public enum Scope: String, Sendable, Encodable {
        /// Earlier turns of this conversation (from their stored feedback).
        case thisConversation = "this_conversation"
        /// The learner's earlier conversations nearest to this one by their stored vectors.
        case earlierConversations = "earlier_conversations"
    }
    public var category: Category
    /// Earlier turns (this conversation) or earlier conversations with a finding of this category.
    public var count: Int
    public var scope: Scope
    public var message: String
}

/// Where the learner's earlier conversations are read, behind a seam (the conversations API over
/// HTTP with the learner's own token; nothing in unit tests).
public protocol MistakeHistory: Sendable {
    /// For each category, in how many of the learner's conversations nearest to `conversationID`
    /// (not counting it) a learner turn had a finding of it.
    func earlierCategories(uid: String, conversationID: UUID, authorization: String) async throws -> [Category: Int]
}

public enum Recurring {
    /// The categories of a stored feedback object (`matches[].rule.category`), each once.
    public static func categories(ofFeedback feedback: Any?) -> Set<Category> {
        guard let object = feedback as? [String: Any], let matches = object["matches"] as? [[String: Any]] else {
            return []
        }
        return Set(
            matches.compactMap { (($0["rule"] as? [String: Any])?["category"] as? String).flatMap(Category.init) })
    }

    /// The current findings' categories that appeared before: in earlier learner turns of this
    /// conversation (counted per turn) first, otherwise in earlier conversations.
    public static func find(
        current: [Match], earlierTurns: [Category: Int], earlierConversations: [Category: Int], language: Language
    ) -> [RecurringMistake] {
        var seen = Set<Category>()
        var found: [RecurringMistake] = []
        for category in current.map(\.rule.category) where seen.insert(category).inserted {
            let name = Explanations.explain(category, from: "", to: "", in: language).short.lowercased()
            if let count = earlierTurns[category], count > 0 {
                let message =
                    language == .id
                    ? "Kesalahan \(name) ini sudah muncul \(count) kali sebelumnya di percakapan ini."
                    : "You made a \(name) mistake \(count == 1 ? "once" : "\(count) times") earlier in this conversation."
                found.append(.init(category: category, count: count, scope: .thisConversation, message: message))
            } else if let count = earlierConversations[category], count > 0 {
                let message =
                    language == .id
                    ? "Kesalahan \(name) juga muncul di \(count) percakapanmu sebelumnya."
                    : "You did this before: a \(name) mistake in \(count) of your earlier conversation\(count == 1 ? "" : "s")."
                found.append(.init(category: category, count: count, scope: .earlierConversations, message: message))
            }
        }
        return found
    }
}

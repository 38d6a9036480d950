import Conversations
import Foundation
import Tutoring

/// The learner's earlier mistakes read straight from the conversations store (the tutor Lambda
/// reaches RDS inside the VPC; `cakap tutor` uses `ConversationsMistakeHistory` over HTTP). The
/// store scopes every read by `uid`, so only the learner's own conversations are read.
public struct StoreMistakeHistory: MistakeHistory {
    let store: any ConversationStore
    let neighbours: Int

    public init(store: any ConversationStore, neighbours: Int = 5) {
        self.store = store
        self.neighbours = neighbours
    }

    public func earlierCategories(
        uid: String, conversationID: UUID, authorization: String
    ) async throws
        -> [Category: Int]
    {
        guard let current = try await store.fetch(uid: uid, id: conversationID), let embedding = current.embedding
        else { return [:] }
        let nearest = try await store.nearest(
            uid: uid, to: embedding.vector, model: embedding.model, excluding: conversationID, limit: neighbours)
        var counts: [Category: Int] = [:]
        for neighbour in nearest {
            guard let record = try await store.fetch(uid: uid, id: neighbour.id) else { continue }
            var categories = Set<Category>()
            for message in record.messages where message.role == .user {
                guard let feedback = message.feedback, let data = try? JSONEncoder().encode(feedback) else { continue }
                categories.formUnion(Recurring.categories(ofFeedback: try? JSONSerialization.jsonObject(with: data)))
            }
            for category in categories { counts[category, default: 0] += 1 }
        }
        return counts
    }
}

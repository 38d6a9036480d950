import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import Tutoring

/// The learner's earlier mistakes from the conversations API, called with the learner's own token
/// (so the API's ownership checks apply): the conversations nearest to this one by their stored
/// vectors (`/similar`), then the feedback kept on their learner turns.
public struct ConversationsMistakeHistory: MistakeHistory {
    let baseURL: String
    let httpClient: HTTPClient
    /// How many nearest conversations are read.
    let neighbours: Int

    public init(baseURL: String, httpClient: HTTPClient, neighbours: Int = 5) {
        self.baseURL = baseURL
        self.httpClient = httpClient
        self.neighbours = neighbours
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    public func earlierCategories(
        uid: String, conversationID: UUID, authorization: String
    ) async throws
        -> [Category: Int]
    {
        let owner = uid.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? uid
        let conversation = conversationID.uuidString.lowercased()
        let similar = try await get("/conversations/\(owner)/\(conversation)/similar?k=\(neighbours)", authorization)
        let ids = (similar["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            .filter { $0.lowercased() != conversation }
        var counts: [Category: Int] = [:]
        try await withThrowingTaskGroup(of: Set<Category>.self) { group in
            for id in ids {
                group.addTask {
                    let stored = try await get("/conversations/\(owner)/\(id)", authorization)
                    let turns = stored["conversation"] as? [[String: Any]] ?? []
                    return turns.filter { $0["role"] as? String == "user" }
                        .reduce(into: Set<Category>()) {
                            $0.formUnion(Recurring.categories(ofFeedback: $1["feedback"]))
                        }
                }
            }
            for try await categories in group {
                for category in categories { counts[category, default: 0] += 1 }
            }
        }
        return counts
    }

    func get(_ path: String, _ authorization: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "authorization", value: authorization)
        let response = try await httpClient.execute(request, timeout: .seconds(3))
        let body = try await response.body.collect(upTo: 8 << 20)
        guard response.status == .ok else {
            // 404: this conversation is not saved yet or has no vector; nothing to compare with.
            throw Failure(description: "GET \(path): HTTP \(response.status.code)")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw Failure(description: "GET \(path): not a JSON object")
        }
        return object
    }
}

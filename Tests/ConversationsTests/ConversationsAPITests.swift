import Conversations
import Foundation
import Logging
import ServiceShell
import Testing

/// The conversations core against the in-memory store and the fake embedder (R-API-1).
@Suite struct ConversationsAPITests {
    let store = MemoryConversationStore()
    let api: ConversationsAPI
    var settings = ConversationsSettings()

    init() {
        settings.embeddingModel = "fake-embed"
        settings.embeddingDimensions = 8
        api = ConversationsAPI(
            store: store, embedder: FakeEmbedder(dimensions: 8), settings: settings, logger: Logger(label: "test"))
    }

    func call(
        _ method: String, _ path: String, _ body: String? = nil, as caller: String? = "alice",
        query: [String: String] = [:], api: ConversationsAPI? = nil
    ) async -> (status: Int, json: [String: Any], text: String) {
        let response = await (api ?? self.api).handle(
            APIRequest(
                method: method, path: path, query: query, body: Array((body ?? "").utf8), caller: caller,
                requestId: "req-1"))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response.status, json, response.bodyText)
    }

    static let id1 = "6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    static let id2 = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

    static func body(
        id: String = id1, title: String = "Weekend", user: String = "I goes to the market yesterday"
    )
        -> String
    {
        #"{"id":"\#(id)","title":"\#(title)","conversation":[{"role":"assistant","content":"Hi! What did you do?"},{"role":"user","content":"\#(user)"}]}"#
    }

    @Test func createGetUpdateDeleteRoundTrip() async throws {
        let created = await call("POST", "/conversations/alice", Self.body())
        #expect(created.status == 201)
        #expect(created.json["id"] as? String == Self.id1)
        #expect(created.json["embedding_model"] as? String == "fake-embed")  // computed from the learner's turn
        #expect(created.json["embedding_dimensions"] as? Int == 8)
        #expect(created.json["embedding"] == nil)  // the vector only on request

        let fetched = await call("GET", "/conversations/alice/\(Self.id1)", query: ["include": "embedding"])
        #expect(fetched.status == 200)
        #expect(
            (fetched.json["conversation"] as? [[String: String]])?.last?["content"] == "I goes to the market yesterday")
        #expect((fetched.json["embedding"] as? [Double])?.count == 8)

        let renamed = await call("PUT", "/conversations/alice/\(Self.id1)", #"{"title":"Market day"}"#)
        #expect(renamed.status == 200)
        #expect(renamed.json["title"] as? String == "Market day")
        #expect((renamed.json["conversation"] as? [Any])?.count == 2)  // untouched

        let deleted = await call("DELETE", "/conversations/alice/\(Self.id1)")
        #expect(deleted.status == 200 && deleted.json["deleted"] as? Int == 1)
        #expect(await call("GET", "/conversations/alice/\(Self.id1)").status == 404)
        #expect(await call("DELETE", "/conversations/alice/\(Self.id1)").status == 404)
    }

    @Test func anotherOwnersConversationsAreForbiddenOrAbsent() async throws {
        #expect(await call("POST", "/conversations/alice", Self.body()).status == 201)
        for (method, path) in [
            ("GET", "/conversations/alice"), ("GET", "/conversations/alice/\(Self.id1)"),
            ("PUT", "/conversations/alice/\(Self.id1)"), ("DELETE", "/conversations/alice"),
            ("DELETE", "/conversations/alice/\(Self.id1)"), ("POST", "/conversations/alice"),
            ("GET", "/conversations/alice/\(Self.id1)/similar"),
        ] {
            let answer = await call(method, path, #"{"title":"x"}"#, as: "mallory")
            #expect(answer.status == 403, "\(method) \(path)")
            #expect(!answer.text.contains("Weekend"))
        }
        // Alice's id under Mallory's own uid: not found, and nothing changes.
        #expect(await call("GET", "/conversations/mallory/\(Self.id1)", as: "mallory").status == 404)
        #expect(await call("PUT", "/conversations/mallory/\(Self.id1)", #"{"title":"x"}"#, as: "mallory").status == 404)
        #expect(await call("DELETE", "/conversations/mallory/\(Self.id1)", as: "mallory").status == 404)
        #expect(await call("GET", "/conversations/alice/\(Self.id1)").json["title"] as? String == "Weekend")
        #expect(await call("GET", "/conversations/alice", as: nil).status == 401)
    }

    @Test(arguments: [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        (#"{"title":"t","conversation":[]}"#, "\"id\" is required"),
        (#"{"id":"nope","title":"t","conversation":[]}"#, "UUID"),
        (#"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","conversation":[]}"#, "\"title\" is required"),
        (#"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"  ","conversation":[]}"#, "must not be empty"),
        (#"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t"}"#, "\"conversation\" is required"),
        (#"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":{}}"#, "must be a list"),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[{"role":"bot","content":"x"}]}"#,
            "conversation[0].role must be one of system, user, assistant"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[{"role":"user","content":3}]}"#,
            "conversation[0].content must be a string"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[],"embedding":[1,2]}"#,
            "2 dimensions"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[],"embedding":[1,2,3,4,5,6,7,true]}"#,
            "embedding[7] must be a finite number"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[{"role":"user","content":"a\u0000b"}]}"#,
            "conversation[0].content contains a NUL character"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[{"role":"user","content":"x","feedback":[1]}]}"#,
            "conversation[0].feedback must be an object"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[{"role":"user","content":"x","feedback":{"m":["a\u0000"]}}]}"#,
            "conversation[0].feedback contains a NUL character"
        ),
        (
            #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[{"role":"user","content":"x","id":"a\u0000"}]}"#,
            "conversation[0]'s other fields contain a NUL character"
        ),
    ])
    func badBodiesGet400WithAReason(body: String, reason: String) async throws {
        let answer = await call("POST", "/conversations/alice", body)
        #expect(answer.status == 400)
        #expect((answer.json["error"] as? String)?.contains(reason) == true, "\(answer.text)")
    }

    /// R-APP-8: the tutor's feedback on a turn is kept with the conversation and comes back as sent.
    @Test func feedbackOnAMessageIsStoredAsSentAndLimited() async throws {
        let feedback = #"{"matches":[{"offset":2,"length":3,"rule":{"id":"R","category":"agreement"}}],"tips":["t"]}"#
        let body =
            #"{"id":"\#(Self.id1)","title":"t","conversation":[{"role":"user","content":"I has a cat","feedback":\#(feedback)},{"role":"assistant","content":"Nice!"}]}"#
        #expect(await call("POST", "/conversations/alice", body).status == 201)
        let fetched = await call("GET", "/conversations/alice/\(Self.id1)")
        let messages = try #require(fetched.json["conversation"] as? [[String: Any]])
        let stored = try #require(messages[0]["feedback"] as? [String: Any])
        #expect((stored["tips"] as? [String]) == ["t"])
        #expect(((stored["matches"] as? [[String: Any]])?.first?["offset"] as? Int) == 2)
        #expect(messages[1]["feedback"] == nil)  // absent stays absent

        var small = settings
        small.maxFeedbackBytes = 64
        let limited = ConversationsAPI(store: store, embedder: nil, settings: small, logger: Logger(label: "test"))
        let answer = await call(
            "PUT", "/conversations/alice/\(Self.id1)",
            #"{"conversation":[{"role":"user","content":"x","feedback":\#(feedback)}]}"#, api: limited)
        #expect(answer.status == 400)
        #expect(answer.text.contains("larger than 64 bytes"))
    }

    @Test func limitsAreEnforced() async throws {
        var small = settings
        small.maxBodyBytes = 200
        small.maxMessages = 2
        small.maxMessageCharacters = 10
        let limited = ConversationsAPI(store: store, embedder: nil, settings: small, logger: Logger(label: "test"))
        let big = String(repeating: "a", count: 300)
        #expect(await call("POST", "/conversations/alice", #"{"title":"\#(big)"}"#, api: limited).status == 413)
        let tooLong = #"{"id":"\#(Self.id1)","title":"t","conversation":[{"role":"user","content":"12345678901"}]}"#
        #expect(await call("POST", "/conversations/alice", tooLong, api: limited).text.contains("longer than 10"))
        let many =
            #"{"id":"\#(Self.id1)","title":"t","conversation":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"user","content":"c"}]}"#
        #expect(await call("POST", "/conversations/alice", many, api: limited).text.contains("the limit is 2"))
    }

    @Test func badPathsAndMethods() async throws {
        #expect(await call("GET", "/conversations/alice/not-a-uuid").status == 400)
        #expect(await call("GET", "/conversations/ali%00ce").status == 400)
        #expect(await call("PATCH", "/conversations/alice").status == 405)
        #expect(await call("POST", "/conversations/alice/\(Self.id1)").status == 405)
        #expect(await call("GET", "/conversations/alice/\(Self.id1)/other").status == 404)
        #expect(await call("GET", "/elsewhere").status == 404)
        #expect(await call("PUT", "/conversations/alice/\(Self.id1)", "{}").text.contains("nothing to change"))
        #expect(await call("GET", "/conversations/alice", query: ["limit": "0"]).status == 400)
        #expect(await call("GET", "/conversations/alice", query: ["cursor": "garbage!"]).status == 400)
    }

    @Test func listIsNewestFirstAndPages() async throws {
        var ids: [String] = []
        for index in 0..<5 {
            let id = UUID().uuidString.lowercased()
            ids.append(id)
            #expect(await call("POST", "/conversations/alice", Self.body(id: id, title: "c\(index)")).status == 201)
        }
        // Touching the oldest makes it the newest.
        #expect(await call("PUT", "/conversations/alice/\(ids[0])", #"{"title":"c0 again"}"#).status == 200)
        var seen: [String] = []
        var cursor: String?
        repeat {
            var query = ["limit": "2"]
            if let cursor { query["cursor"] = cursor }
            let page = await call("GET", "/conversations/alice", query: query)
            #expect(page.status == 200)
            seen += (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
            cursor = page.json["next_cursor"] as? String
        } while cursor != nil
        #expect(seen == ["c0 again", "c4", "c3", "c2", "c1"])
        #expect(await call("DELETE", "/conversations/alice").json["deleted"] as? Int == 5)
        #expect((await call("GET", "/conversations/alice").json["items"] as? [Any])?.isEmpty == true)
    }

    @Test func newMessagesGetANewVectorAndAFailedEmbeddingStoresNone() async throws {
        #expect(await call("POST", "/conversations/alice", Self.body()).status == 201)
        let before = await call("GET", "/conversations/alice/\(Self.id1)", query: ["include": "embedding"])
        let update = #"{"conversation":[{"role":"user","content":"My favourite food is fried rice with egg"}]}"#
        #expect(await call("PUT", "/conversations/alice/\(Self.id1)", update).status == 200)
        let after = await call("GET", "/conversations/alice/\(Self.id1)", query: ["include": "embedding"])
        #expect(before.json["embedding"] as? [Double] != after.json["embedding"] as? [Double])

        let failing = ConversationsAPI(
            store: store, embedder: FakeEmbedder(dimensions: 8, failing: true), settings: settings,
            logger: Logger(label: "test"))
        let saved = await call("PUT", "/conversations/alice/\(Self.id1)", update, api: failing)
        #expect(saved.status == 200)  // the turn is kept even when no vector can be made
        #expect(saved.json["embedding_model"] is NSNull)
        // … but the failure is not swallowed (issue 20): the answer says why no vector was stored.
        #expect((saved.json["embedding_error"] as? String)?.contains("could not embed") == true)
        #expect(after.json["embedding_error"] == nil)

        var wider = settings
        wider.embeddingDimensions = 16  // the embedder makes 8: a model/dimension mismatch
        let mismatched = ConversationsAPI(
            store: store, embedder: FakeEmbedder(dimensions: 8), settings: wider, logger: Logger(label: "test"))
        let created = await call("POST", "/conversations/alice", Self.body(id: Self.id2), api: mismatched)
        #expect(created.status == 201)
        #expect((created.json["embedding_error"] as? String)?.contains("returned 8 dimensions") == true)
    }

    @Test func similarReturnsTheOwnersNearestOnly() async throws {
        let topics = [
            (Self.id1, "I like football and I play football every weekend"),
            (Self.id2, "I play football with my friends on weekends"),
            (UUID().uuidString.lowercased(), "My grandmother cooks rendang for Eid"),
        ]
        for (id, text) in topics {
            #expect(
                await call("POST", "/conversations/alice", Self.body(id: id, title: text, user: text)).status == 201)
        }
        #expect(
            await call("POST", "/conversations/bob", Self.body(id: UUID().uuidString, user: topics[0].1), as: "bob")
                .status == 201)
        let similar = await call("GET", "/conversations/alice/\(Self.id1)/similar", query: ["k": "2"])
        #expect(similar.status == 200)
        let items = similar.json["items"] as? [[String: Any]] ?? []
        #expect(items.count == 2)
        #expect(items.first?["id"] as? String == Self.id2)
        #expect(await call("GET", "/conversations/alice/\(Self.id1)/similar", query: ["k": "999"]).status == 400)
    }

    @Test func aStoppedDatabaseIs503WithoutInternals() async throws {
        await store.setUnavailable(true)
        let answer = await call("GET", "/conversations/alice")
        #expect(answer.status == 503)
        #expect(answer.text.contains("req-1"))
        #expect(!answer.text.contains("memory store"))
        await store.setUnavailable(false)
        #expect(await call("GET", "/conversations/alice").status == 200)
    }

    @Test func cursorsRoundTrip() throws {
        let cursor = ListCursor(updatedAtMicros: 1_700_000_000_123_456, id: UUID())
        #expect(ListCursor(token: cursor.token) == cursor)
        #expect(ListCursor(token: "bm90LWEtY3Vyc29y") == nil)
    }
}

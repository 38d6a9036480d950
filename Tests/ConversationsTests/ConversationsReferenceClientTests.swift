import Conversations
import Foundation
import Testing

/// What the brief's reference client (betuah/lks-llm, `client-apps/`) needs of the conversations
/// API (issue 16, R-API-1): it saves the whole conversation under one id after every turn, its
/// messages carry the chat library's `id` and `createdAt`, its check page's PUT carries `userId`,
/// and it reads the history as `response.data`.
extension ConversationsAPITests {
    /// A turn as the chat library sends it: `id` and `createdAt` beside role and content.
    static func libraryTurns(_ count: Int) -> String {
        (0..<count).map { turn in
            #"{"id":"msg-\#(turn)u","role":"user","content":"I goes to school \#(turn)","createdAt":"2026-12-04T10:0\#(turn):00.000Z"},"#
                + #"{"id":"msg-\#(turn)a","role":"assistant","content":"Nice! Tell me more \#(turn).","createdAt":"2026-12-04T10:0\#(turn):05.000Z"}"#
        }.joined(separator: ",")
    }

    static func librarySave(turns: Int, title: String = "I goes to school") -> String {
        #"{"id":"\#(id1)","title":"\#(title)","conversation":[\#(libraryTurns(turns))]}"#
    }

    @Test func postOfAnExistingIdByItsOwnerReplacesIt() async throws {
        let first = await call("POST", "/conversations/alice", Self.librarySave(turns: 1))
        #expect(first.status == 201, "\(first.text)")
        let vectorBefore = await call("GET", "/conversations/alice/\(Self.id1)", query: ["include": "embedding"])
        let same = await call("POST", "/conversations/alice", Self.librarySave(turns: 1))
        #expect(same.status == 200)
        #expect(same.json["updated_at"] as? String == first.json["updated_at"] as? String)  // nothing written
        for turns in 2...3 {
            let saved = await call(
                "POST", "/conversations/alice", Self.librarySave(turns: turns, title: "Turn \(turns)"))
            #expect(saved.status == 200, "\(saved.text)")
            #expect(saved.json["message_count"] as? Int == turns * 2)
            #expect(saved.json["created_at"] as? String == first.json["created_at"] as? String)
        }
        let stored = await call("GET", "/conversations/alice/\(Self.id1)", query: ["include": "embedding"])
        #expect(stored.json["title"] as? String == "Turn 3")
        let messages = try #require(stored.json["conversation"] as? [[String: Any]])
        #expect(messages.map { $0["content"] as? String }.last == "Nice! Tell me more 2.")
        // The vector follows the new learner turns.
        #expect(stored.json["embedding"] as? [Double] != vectorBefore.json["embedding"] as? [Double])
        // Still only the owner's: the same id under another owner is another conversation.
        #expect(await call("POST", "/conversations/bob", Self.body(), as: "bob").status == 201)
        #expect(await call("GET", "/conversations/alice/\(Self.id1)").json["title"] as? String == "Turn 3")
        #expect(await call("POST", "/conversations/alice", Self.body(), as: "mallory").status == 403)
    }

    @Test func aMessagesOtherFieldsAreKeptAsSent() async throws {
        #expect(await call("POST", "/conversations/alice", Self.librarySave(turns: 1)).status == 201)
        let stored = await call("GET", "/conversations/alice/\(Self.id1)")
        let messages = try #require(stored.json["conversation"] as? [[String: Any]])
        #expect(messages[0]["id"] as? String == "msg-0u")
        #expect(messages[0]["createdAt"] as? String == "2026-12-04T10:00:00.000Z")
        #expect(messages[1]["role"] as? String == "assistant" && messages[1]["id"] as? String == "msg-0a")
        // Limits stay: other fields are bounded in size.
        let big = String(repeating: "x", count: settings.maxOtherFieldsBytes)
        let tooBig =
            #"{"id":"\#(Self.id2)","title":"t","conversation":[{"role":"user","content":"x","annotations":"\#(big)"}]}"#
        let refused = await call("POST", "/conversations/alice", tooBig)
        #expect(refused.status == 400 && refused.text.contains("annotations"), "\(refused.text)")
    }

    @Test func unknownBodyFieldsAreIgnoredAndNeverReassignTheOwner() async throws {
        let body = #"{"id":"\#(Self.id1)","title":"t","conversation":[],"uid":"mallory","userId":"mallory","x":1}"#
        #expect(await call("POST", "/conversations/alice", body).status == 201)
        // The reference check page's PUT sends `userId` (another user's, even).
        let put = await call(
            "PUT", "/conversations/alice/\(Self.id1)",
            #"{"userId":"048884b8-4001-7071-6476-7604cb9a12a2","title":"test","conversation":[{"role":"user","content":"why is the sky blue?"}]}"#
        )
        #expect(put.status == 200, "\(put.text)")
        #expect(put.json["uid"] as? String == "alice" && put.json["title"] as? String == "test")
        #expect((await call("GET", "/conversations/mallory", as: "mallory").json["data"] as? [Any])?.isEmpty == true)
    }

    @Test func theListCarriesWholeRowsInData() async throws {
        #expect(await call("POST", "/conversations/alice", Self.librarySave(turns: 2)).status == 201)
        #expect(await call("POST", "/conversations/alice", Self.body(id: Self.id2, title: "Second")).status == 201)
        let page = await call("GET", "/conversations/alice")
        let data = try #require(page.json["data"] as? [[String: Any]])
        #expect(data.map { $0["title"] as? String } == ["Second", "I goes to school"])
        #expect(data[1]["id"] as? String == Self.id1)
        #expect((data[1]["conversation"] as? [[String: Any]])?.count == 4)
        #expect(data[1]["createdAt"] as? String == data[1]["created_at"] as? String)
        #expect(data[1]["updatedAt"] as? String == data[1]["updated_at"] as? String)
        #expect((page.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [Self.id2, Self.id1])
    }

    @Test func aListPageEndsEarlyRatherThanPassTheDataLimit() async throws {
        var small = settings
        small.maxListDataBytes = 900
        let api = ConversationsAPI(store: store, embedder: nil, settings: small, logger: .init(label: "test"))
        for index in 0..<3 {
            let body = Self.body(
                id: UUID().uuidString.lowercased(), title: "c\(index)", user: String(repeating: "a", count: 500))
            #expect(await call("POST", "/conversations/alice", body, api: api).status == 201)
        }
        var titles: [String] = []
        var cursor: String?
        repeat {
            let page = await call("GET", "/conversations/alice", query: cursor.map { ["cursor": $0] } ?? [:], api: api)
            let data = try #require(page.json["data"] as? [[String: Any]])
            #expect(data.count == 1)  // each row is over half the limit; a page always holds one
            titles += data.compactMap { $0["title"] as? String }
            cursor = page.json["next_cursor"] as? String
        } while cursor != nil
        #expect(titles == ["c2", "c1", "c0"])
    }
}

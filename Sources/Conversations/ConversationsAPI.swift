import Foundation
import Logging
import ServiceShell

/// The conversations API (R-API-1) as one function from request to response, so the HTTP server
/// and the Lambda run the same code. Every route is scoped to the caller: `uid` must equal the
/// token's `sub` (403), and a conversation is found only under its owner (404).
public struct ConversationsAPI: RoutedAPI {
    let store: any ConversationStore
    let embedder: (any Embedder)?
    let settings: ConversationsSettings
    let logger: Logger

    /// - Parameters:
    ///   - embedder: makes the vector when a client sends none; nil stores none.
    public init(
        store: any ConversationStore, embedder: (any Embedder)?, settings: ConversationsSettings, logger: Logger
    ) {
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.logger = logger
    }

    /// Routes, checks and answers; never throws. Store failures are logged with the request id
    /// and answered 503 (database unreachable) or 500, without internals.
    public func handle(_ request: APIRequest) async -> APIResponse {
        do {
            return try await route(request)
        } catch let error as APIError {
            return .error(error.status, error.message, headers: error.status == 405 ? ["allow": allowed(request)] : [:])
        } catch let error as StoreError {
            logger.error(
                "database error", metadata: ["request_id": "\(request.requestId)", "error": "\(error.detail)"])
            switch error.kind {
            case .unavailable:
                return .error(503, "the database is unavailable; try again (request \(request.requestId))")
            case .failed:
                return .error(500, "internal error (request \(request.requestId))")
            }
        } catch {
            logger.error("unexpected error", metadata: ["request_id": "\(request.requestId)", "error": "\(error)"])
            return .error(500, "internal error (request \(request.requestId))")
        }
    }

    /// The route table: `/conversations/{uid}`, `/conversations/{uid}/{id}`,
    /// `/conversations/{uid}/{id}/similar`.
    func route(_ request: APIRequest) async throws -> APIResponse {
        let segments = try Self.segments(of: request.path)
        guard let caller = request.caller else { throw APIError(401, "sign in: no identity came with the request") }
        let uid = segments[0]
        guard uid == caller else { throw APIError(403, "you can only reach your own conversations") }
        switch (segments.count, request.method) {
        case (1, "GET"): return try await list(uid: uid, query: request.query)
        case (1, "POST"): return try await create(uid: uid, body: request.body)
        case (1, "DELETE"): return try await deleteAll(uid: uid)
        case (2, "GET"): return try await get(uid: uid, id: Self.id(segments[1]), query: request.query)
        case (2, "PUT"): return try await update(uid: uid, id: Self.id(segments[1]), body: request.body)
        case (2, "DELETE"): return try await delete(uid: uid, id: Self.id(segments[1]))
        case (3, "GET") where segments[2] == "similar":
            return try await similar(uid: uid, id: Self.id(segments[1]), query: request.query)
        case (3, _) where segments[2] != "similar": throw APIError(404, "no such route")
        default: throw APIError(405, "method \(request.method) is not allowed here")
        }
    }

    func allowed(_ request: APIRequest) -> String {
        switch (try? Self.segments(of: request.path))?.count {
        case 1: "GET, POST, DELETE"
        case 2: "GET, PUT, DELETE"
        default: "GET"
        }
    }

    /// The decoded segments after `/conversations`: 1 to 3 of them, none empty.
    static func segments(of path: String) throws(APIError) -> [String] {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "" { parts.removeFirst() }
        if parts.last == "", parts.count > 1 { parts.removeLast() }
        guard parts.first == "conversations" else { throw APIError(404, "no such route") }
        parts.removeFirst()
        guard (1...3).contains(parts.count) else { throw APIError(404, "no such route") }
        return try parts.map { part throws(APIError) in
            guard let decoded = part.removingPercentEncoding, !decoded.isEmpty, decoded.count <= 256,
                !decoded.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw APIError.badRequest(
                    "a path segment is empty, too long, badly percent-encoded or has control characters")
            }
            return decoded
        }
    }

    static func id(_ text: String) throws(APIError) -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw .badRequest("the conversation id \"\(text.prefix(64))\" is not a UUID")
        }
        return id
    }

    static func json(_ status: Int, _ value: some Encodable) throws -> APIResponse {
        APIResponse(status: status, body: Array(try JSONEncoder().encode(value)))
    }
}

import Conversations
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore

/// `cakap conversations`: the conversations API over HTTP. It verifies the caller's Cognito-style
/// ID token itself (the edge also does, as API Gateway would), so it is safe on its own.
public struct ConversationsServer: Sendable {
    /// Listener and identity.
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8090
        public init() {}
    }

    let api: ConversationsAPI
    let verifier: TokenVerifier
    let maxBodyBytes: Int
    let logger: Logger

    public init(api: ConversationsAPI, verifier: TokenVerifier, maxBodyBytes: Int, logger: Logger) {
        self.api = api
        self.verifier = verifier
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// The HTTP application on `configuration`'s address; `beforeStart` runs before it listens
    /// (the schema migrations).
    public func application(
        _ configuration: Configuration, beforeStart: @escaping @Sendable () async throws -> Void = {}
    ) -> some ApplicationProtocol {
        var application = Application(
            router: makeRouter(),
            server: .http1(configuration: .guarded(idleTimeout: nil, bodyDeadline: .seconds(20))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            logger: logger)
        application.beforeServerStarts(perform: beforeStart)
        return application
    }

    /// The route table: `/healthz` and every method under `/conversations/`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok" }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("/conversations/**", method: method) { request, context in
                try await self.serve(request, context: context)
            }
        }
        return router
    }

    func serve(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let requestId =
            request.headers[HTTPField.Name("x-request-id")!].map { String($0.prefix(64)) }
            ?? UUID().uuidString.lowercased()
        var caller: String?
        do {
            caller = try await verifier.verify(authorizationHeader: request.headers[.authorization]).sub
        } catch {
            // The client learns only that it must sign in again; which check failed is logged
            // (issue 19: the reason helped an attacker tune forged tokens).
            logger.info("token refused", metadata: ["reason": "\(error)", "request": "\(requestId)"])
            return Self.response(.error(401, "sign in again"), requestId: requestId)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return Self.response(.error(413, "the body is larger than \(maxBodyBytes) bytes"), requestId: requestId)
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let answer = await api.handle(
            APIRequest(
                method: request.method.rawValue, path: request.uri.path, query: query, body: Array(buffer: body),
                caller: caller, requestId: requestId))
        return Self.response(answer, requestId: requestId)
    }

    static func response(_ answer: APIResponse, requestId: String) -> Response {
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        headers[HTTPField.Name("x-request-id")!] = requestId
        return Response(
            status: .init(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

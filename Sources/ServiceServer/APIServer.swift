import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceShell
import TokenVerification

/// A `RoutedAPI` over HTTP (`cakap conversations`, `cakap tutor`): the HTTP side of the service
/// shell, as `RoutedAPI.handle(event:…)` is its API Gateway side. In order, for every request
/// under `prefix`: a request id (the caller's `x-request-id`, else a new one), the caller's
/// Cognito-style ID token verified here (the edge also does, as API Gateway would, so the service
/// is safe on its own), the body read up to `maxBodyBytes` (413), a place in the admission gate
/// when there is one (503 with `Retry-After`), then the API. `/healthz` answers without a token.
public struct APIServer: Sendable {
    let api: any RoutedAPI
    let prefix: String
    let verifier: TokenVerifier
    let maxBodyBytes: Int
    /// How many requests run and wait at once; nil: no bound beyond the API's own (issue 9).
    let gate: AdmissionGate?
    let logger: Logger

    /// - Parameter prefix: the first path segment the API serves, e.g. `/tutor`.
    public init(
        api: any RoutedAPI, prefix: String, verifier: TokenVerifier, maxBodyBytes: Int, gate: AdmissionGate? = nil,
        logger: Logger
    ) {
        self.api = api
        self.prefix = prefix
        self.verifier = verifier
        self.maxBodyBytes = maxBodyBytes
        self.gate = gate
        self.logger = logger
    }

    /// The HTTP application on `host:port`; `beforeStart` runs before it listens (e.g. migrations).
    public func application(
        host: String, port: Int, beforeStart: @escaping @Sendable () async throws -> Void = {}
    ) -> some ApplicationProtocol {
        // Issue 19: a body must arrive within 20 s of its head, as at the edge. No idle timeout: the
        // edge's pooled connections stay open (closing them could race a request being sent).
        var application = Application(
            router: makeRouter(),
            server: .http1(configuration: .guarded(idleTimeout: nil, bodyDeadline: .seconds(20))),
            configuration: .init(address: .hostname(host, port: port)), logger: logger)
        application.beforeServerStarts(perform: beforeStart)
        return application
    }

    /// `/healthz`, then every method under `prefix`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok" }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("\(prefix)/**", method: method) { request, _ in await self.serve(request) }
        }
        return router
    }

    func serve(_ request: Request) async -> Response {
        let requestId =
            request.headers[.requestID].map { String($0.prefix(64)) } ?? UUID().uuidString.lowercased()
        let answer = await answer(request, requestId: requestId)
        if let problem = answer.internalError {
            logger.error(
                "request failed",
                metadata: ["path": "\(request.uri.path)", "request": "\(requestId)", "error": "\(problem)"])
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        headers[.requestID] = requestId
        return Response(
            status: .init(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func answer(_ request: Request, requestId: String) async -> APIResponse {
        let caller: String
        do {
            caller = try await verifier.verify(authorizationHeader: request.headers[.authorization]).sub
        } catch {
            // The client learns only that it must sign in again; which check failed is logged
            // (issue 19: the reason helped an attacker tune forged tokens).
            logger.info("token refused", metadata: ["reason": "\(error)", "request": "\(requestId)"])
            return .error(401, "sign in again")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return .error(413, "the body is larger than \(maxBodyBytes) bytes")
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let call = APIRequest(
            method: request.method.rawValue, path: request.uri.path, query: query, body: Array(buffer: body),
            caller: caller, authorization: request.headers[.authorization], requestId: requestId)
        let api = self.api
        guard let gate else { return await api.handle(call) }
        if let answer = await gate.run(for: caller, { await api.handle(call) }) { return answer }
        let load = await gate.load
        logger.warning(
            "busy, request refused",
            metadata: ["path": "\(request.uri.path)", "running": "\(load.running)", "waiting": "\(load.waiting)"])
        return .error(
            503,
            "the \(prefix.dropFirst()) is busy (\(load.running) requests running, \(load.waiting) waiting); try again shortly"
        )
    }
}

extension HTTPField.Name {
    /// The request id a caller may send and every answer carries.
    static let requestID = HTTPField.Name("x-request-id")!
}

import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Logging
import NIOCore
import Tutoring

/// `cakap tutor`: the tutor's routes (`TutorAPI`) over HTTP, verifying the caller's ID token
/// itself, like `cakap conversations`.
public struct TutorServer: Sendable {
    let api: TutorAPI
    let verifier: TokenVerifier
    /// How many requests run and wait at once; beyond it, 503 with `Retry-After` (issue 9).
    let gate: AdmissionGate
    let logger: Logger

    public init(
        api: TutorAPI, verifier: TokenVerifier,
        gate: AdmissionGate = AdmissionGate(maxRunning: 16, maxWaiting: 32, maxWait: .seconds(10)), logger: Logger
    ) {
        self.api = api
        self.verifier = verifier
        self.gate = gate
        self.logger = logger
    }

    /// The HTTP application on `host:port`.
    public func application(host: String, port: Int) -> some ApplicationProtocol {
        // Issue 19: a body must arrive within 20 s of its head, as at the edge. No idle timeout: the
        // edge's pooled connections stay open (closing them could race a request being sent).
        Application(
            router: makeRouter(),
            server: .http1(configuration: .guarded(idleTimeout: nil, bodyDeadline: .seconds(20))),
            configuration: .init(address: .hostname(host, port: port)), logger: logger)
    }

    /// `/healthz`, then everything under `/tutor/` goes to the route table of `TutorAPI`.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/healthz") { _, _ in "ok" }
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("/tutor/**", method: method) { request, context in try await self.serve(request, context: context)
            }
        }
        return router
    }

    func serve(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let identity: VerifiedIdentity
        do {
            identity = try await verifier.verify(authorizationHeader: request.headers[.authorization])
        } catch {
            // The client learns only that it must sign in again; which check failed is logged (issue 19).
            logger.info("token refused", metadata: ["reason": "\(error)"])
            return Self.respond(.error(401, "sign in again"))
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: TutorAPI.maxBodyBytes)
        } catch {
            return Self.respond(.error(413, "the body is larger than \(TutorAPI.maxBodyBytes) bytes"))
        }
        let call = TutorAPI.Request(
            method: request.method.rawValue, path: request.uri.path, body: Array(buffer: body),
            caller: identity.sub, authorization: request.headers[.authorization])
        let api = self.api
        guard let answer = await gate.run(for: identity.sub, { await api.handle(call) }) else {
            let load = await gate.load
            logger.warning(
                "tutor busy, request refused",
                metadata: ["path": "\(request.uri.path)", "running": "\(load.running)", "waiting": "\(load.waiting)"])
            return Self.respond(
                .error(
                    503,
                    "the tutor is busy (\(load.running) requests running, \(load.waiting) waiting); try again shortly"))
        }
        if let problem = answer.internalError {
            logger.error("tutor request failed", metadata: ["path": "\(request.uri.path)", "error": "\(problem)"])
        }
        return Self.respond(answer)
    }

    static func respond(_ answer: TutorAPI.Response) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter = answer.retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: .init(code: answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

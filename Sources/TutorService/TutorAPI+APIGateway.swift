import Foundation
import LambdaRuntime
import Logging
import Tutoring

extension TutorAPI {
    /// Serves one API Gateway REST proxy event (the tutor Lambda). The caller is the `sub` the
    /// Cognito authorizer put in `requestContext.authorizer.claims`; its `Authorization` header is
    /// passed on to the conversations API for the learner's earlier mistakes.
    public func handle(
        event: [UInt8], invocation: Invocation, allowedOrigins: [String], logger: Logger
    ) async throws
        -> [UInt8]
    {
        let proxyEvent = try APIGatewayProxyEvent.decode(event)
        let requestId = proxyEvent.requestContext?.requestId ?? invocation.requestId
        let answer: Response
        if let caller = proxyEvent.callerSub {
            if let body = proxyEvent.bodyBytes {
                let authorization = proxyEvent.header("authorization")
                answer = await handle(
                    Request(
                        method: proxyEvent.httpMethod, path: proxyEvent.path, body: body, caller: caller,
                        authorization: authorization.map { $0.lowercased().hasPrefix("bearer ") ? $0 : "Bearer \($0)" })
                )
            } else {
                answer = .error(400, "the body is marked base64 but does not decode")
            }
        } else {
            // API Gateway's Cognito authorizer always sets claims; without them the route is misconfigured.
            answer = .error(401, "no authenticated caller in the event")
        }
        if let problem = answer.internalError {
            logger.error("tutor request failed", metadata: ["request_id": "\(requestId)", "error": "\(problem)"])
        }
        var headers = ["content-type": "application/json", "x-request-id": requestId]
        if let retryAfter = answer.retryAfter { headers["retry-after"] = String(retryAfter) }
        headers.merge(proxyEvent.corsHeaders(allowedOrigins: allowedOrigins)) { $1 }
        let response = APIGatewayProxyResponse(
            statusCode: answer.status, headers: headers, body: String(decoding: answer.body, as: UTF8.self))
        return Array(try JSONEncoder().encode(response))
    }
}

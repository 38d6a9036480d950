import Conversations
import Foundation
import LambdaRuntime

extension ConversationsAPI {
    /// Serves one API Gateway REST proxy event (R-FN-1). The caller is the `sub` the Cognito
    /// authorizer put in `requestContext.authorizer.claims`; the token is not read again.
    /// - Parameter allowedOrigins: origins that get CORS headers (a proxy integration must add
    ///   them itself).
    public func handle(event: [UInt8], invocation: Invocation, allowedOrigins: [String]) async throws -> [UInt8] {
        let proxyEvent = try APIGatewayProxyEvent.decode(event)
        let requestId = proxyEvent.requestContext?.requestId ?? invocation.requestId
        var answer: APIResponse
        if let body = proxyEvent.bodyBytes {
            answer = await handle(
                APIRequest(
                    method: proxyEvent.httpMethod, path: proxyEvent.path,
                    query: proxyEvent.queryStringParameters ?? [:],
                    body: body, caller: proxyEvent.callerSub, requestId: requestId))
        } else {
            answer = .error(400, "the body is marked base64 but does not decode")
        }
        answer.headers["x-request-id"] = requestId
        answer.headers.merge(proxyEvent.corsHeaders(allowedOrigins: allowedOrigins)) { $1 }
        let response = APIGatewayProxyResponse(
            statusCode: answer.status, headers: answer.headers, body: String(decoding: answer.body, as: UTF8.self))
        return Array(try JSONEncoder().encode(response))
    }
}

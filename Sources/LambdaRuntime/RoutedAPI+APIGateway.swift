import Foundation
import Logging
import ServiceShell

extension RoutedAPI {
    /// Serves one API Gateway REST proxy event (R-FN-1): the Lambda side of the service shell, as
    /// `APIServer` is its HTTP side. The caller is the `sub` the Cognito authorizer put in
    /// `requestContext.authorizer.claims` (the token is not verified again); its `Authorization`
    /// header is passed on for a service that calls another as the caller.
    /// - Parameter allowedOrigins: origins that get CORS headers (a proxy integration must add them itself).
    /// - Throws: `FunctionError` when the event is not an API Gateway proxy event.
    public func handle(
        event: [UInt8], invocation: Invocation, allowedOrigins: [String],
        logger: Logger = Logger(label: "cakap.lambda")
    ) async throws -> [UInt8] {
        let proxyEvent = try APIGatewayProxyEvent.decode(event)
        let requestId = proxyEvent.requestContext?.requestId ?? invocation.requestId
        var answer: APIResponse
        if let body = proxyEvent.bodyBytes {
            let authorization = proxyEvent.header("authorization").map {
                $0.lowercased().hasPrefix("bearer ") ? $0 : "Bearer \($0)"
            }
            answer = await handle(
                APIRequest(
                    method: proxyEvent.httpMethod, path: proxyEvent.path,
                    query: proxyEvent.queryStringParameters ?? [:], body: body, caller: proxyEvent.callerSub,
                    authorization: authorization, requestId: requestId))
        } else {
            answer = .error(400, "the body is marked base64 but does not decode")
        }
        if let problem = answer.internalError {
            logger.error("request failed", metadata: ["request_id": "\(requestId)", "error": "\(problem)"])
        }
        answer.headers["x-request-id"] = requestId
        answer.headers.merge(proxyEvent.corsHeaders(allowedOrigins: allowedOrigins)) { $1 }
        let response = APIGatewayProxyResponse(
            statusCode: answer.status, headers: answer.headers, body: String(decoding: answer.body, as: UTF8.self))
        return Array(try JSONEncoder().encode(response))
    }
}

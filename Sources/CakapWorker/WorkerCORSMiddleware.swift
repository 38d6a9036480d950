import Hummingbird

/// CORS headers for browser calls that reach the worker through API Gateway (issue 20, blocker 3).
///
/// `/{region}/{proxy+}` is an `HTTP_PROXY` integration, and a proxy integration has no integration
/// response the gateway could add headers to: the backend must send `Access-Control-Allow-Origin`
/// itself (API Gateway developer guide, "CORS for REST APIs in API Gateway", section on Lambda or
/// HTTP proxy integrations: https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html).
/// The gateway's `OPTIONS` mock answers preflights there; the worker answers one itself only when
/// called directly. No origins configured (the local fleet, whose edge does CORS) adds nothing.
struct WorkerCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Exact origins, or `*` for any (the matched origin is echoed, never `*`, with `Vary: Origin`).
    let allowedOrigins: [String]

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin],
            allowedOrigins.contains("*") || allowedOrigins.contains(origin)
        else { return try await next(request, context) }
        if request.method == .options {
            var headers = HTTPFields()
            headers[.accessControlAllowMethods] = "GET, HEAD, POST, DELETE, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type"
            headers[.accessControlMaxAge] = "600"
            return Self.allowing(origin, Response(status: .noContent, headers: headers))
        }
        do {
            return Self.allowing(origin, try await next(request, context))
        } catch let error as any HTTPResponseError {
            // Errors too: a browser can read a 404 or 503 only when it carries the header.
            return Self.allowing(origin, try error.response(from: request, context: context))
        }
    }

    private static func allowing(_ origin: String, _ response: Response) -> Response {
        var response = response
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        return response
    }
}

import Foundation
import HTTPTypes
import Hummingbird

/// Browser protections on every response of the edge (issue 19): no MIME sniffing, no framing
/// (clickjacking), and a Content-Security-Policy that lets the web app load only its own files
/// and talk only to the edge and its identity provider. Amplify needs the same headers in its
/// `customHeaders` (docs/deploy.md).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let contentSecurityPolicy: String

    /// - Parameter identityEndpoint: the identity provider the page calls, when on another origin.
    init(identityEndpoint: String?) {
        var connect = ["'self'"]
        if let identityEndpoint, let url = URL(string: identityEndpoint), let scheme = url.scheme,
            let host = url.host
        {
            connect.append("\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? ""))
        }
        contentSecurityPolicy =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src \(connect.joined(separator: " ")); object-src 'none'; base-uri 'none'; "
            + "form-action 'self'; frame-ancestors 'none'"
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return response
    }
}

import Foundation

/// A service whose routes are one pure function of a request: the conversations API and the
/// tutor. `APIServer` (module ServiceServer) serves one over HTTP; `RoutedAPI.handle(event:…)`
/// (module LambdaRuntime) serves it as an API Gateway Lambda proxy integration. Both check the
/// caller before `handle` is called; `handle` itself never throws: every failure is an answer.
public protocol RoutedAPI: Sendable {
    /// The answer to one request.
    func handle(_ request: APIRequest) async -> APIResponse
}

/// A request as a service sees it, whichever way it arrived (HTTP server or API Gateway event).
public struct APIRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`, …
    public var method: String
    /// The path, e.g. `/conversations/{uid}/{id}`; percent-encoded as sent.
    public var path: String
    /// Query parameters (last value wins).
    public var query: [String: String]
    /// The raw body.
    public var body: [UInt8]
    /// The verified `sub` of the caller; nil when no identity came with the request.
    public var caller: String?
    /// The caller's `Authorization` header (`Bearer …`), for a service that calls another as the caller.
    public var authorization: String?
    /// Echoed in logs and in 5xx messages so an operator can find the failure.
    public var requestId: String

    public init(
        method: String, path: String, query: [String: String] = [:], body: [UInt8] = [], caller: String?,
        authorization: String? = nil, requestId: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.caller = caller
        self.authorization = authorization
        self.requestId = requestId
    }
}

/// The answer: status, headers, JSON body; and, never sent, what went wrong inside.
public struct APIResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// What went wrong inside, for the server's log (never sent to the client).
    public var internalError: String?

    public init(
        status: Int, headers: [String: String] = ["content-type": "application/json"], body: [UInt8],
        internalError: String? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.internalError = internalError
    }

    /// `value` as a JSON body.
    public static func json(
        _ value: some Encodable, status: Int = 200, encoder: JSONEncoder = JSONEncoder()
    )
        -> APIResponse
    {
        APIResponse(status: status, body: Array((try? encoder.encode(value)) ?? Data("{}".utf8)))
    }

    /// `{"error": message}` with `status`; a 503 says when to try again (`Retry-After: 2` unless given).
    public static func error(
        _ status: Int, _ message: String, headers: [String: String] = [:], internalError: String? = nil
    ) -> APIResponse {
        let body = (try? JSONEncoder().encode(["error": message])) ?? Data(#"{"error":"error"}"#.utf8)
        var headers = headers.merging(["content-type": "application/json"]) { $1 }
        if status == 503, headers["retry-after"] == nil { headers["retry-after"] = "2" }
        return APIResponse(status: status, headers: headers, body: Array(body), internalError: internalError)
    }

    /// The body as text, for tests and logs.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
